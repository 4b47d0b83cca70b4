//go:build crashmutant_noretry

package printerd

// retryRecord is off in this mutant build: a failed record is logged once
// and the job left dispatching, as printerd did before it retried. Only
// printerd/crashtest builds it, to check that its checks catch that.
const retryRecord = false
