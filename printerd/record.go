//go:build !crashmutant_noretry

package printerd

// retryRecord makes a worker retry a failed record of a print's outcome.
// printerd/crashtest builds printerd with the tag crashmutant_noretry, which
// turns it off, to show that its journal faults find a job left silently
// dispatching.
const retryRecord = true
