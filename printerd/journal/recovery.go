//go:build !crashmutant_requeue

package journal

import "github.com/anjungan/anjungan/printerd"

// recoveredState is what a job found dispatching at Open becomes: in
// doubt, for a supervisor, never printed again automatically.
// printerd/crashtest builds a mutant with the tag crashmutant_requeue that
// queues such jobs again, to show that its checks catch a double print.
const recoveredState = printerd.JobInDoubt
