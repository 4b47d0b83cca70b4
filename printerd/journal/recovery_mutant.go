//go:build crashmutant_requeue

package journal

import "github.com/anjungan/anjungan/printerd"

// recoveredState is wrong on purpose in this mutant build: a job found
// dispatching is queued again, so a card printed before a crash prints a
// second time. Only printerd/crashtest builds it, as a test of its test.
const recoveredState = printerd.JobQueued
