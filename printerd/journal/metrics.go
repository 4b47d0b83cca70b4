package journal

import (
	"context"

	"github.com/anjungan/anjungan/printerd"
)

// JobCounts counts the journal's jobs by state, from the index on state
// (the metrics read it at every scrape).
func (j *Journal) JobCounts(ctx context.Context) (map[printerd.JobState]int, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs INDEXED BY jobs_queue GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[printerd.JobState]int{}
	for rows.Next() {
		var s printerd.JobState
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		counts[s] = n
	}
	return counts, rows.Err()
}
