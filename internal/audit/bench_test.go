package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
)

// BenchmarkAppendDurable appends one entry per committed transaction with
// synchronous=FULL: the cost of auditing one state change on its own.
func BenchmarkAppendDurable(b *testing.B) {
	db := MustOpenDB(b)
	b.ResetTimer()
	mustAppend(b, db, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAppendBatch100 appends 100 entries per transaction, as a busy
// service does when several state changes commit together.
func BenchmarkAppendBatch100(b *testing.B) {
	db := MustOpenDB(b)
	ctx := context.Background()
	e := audit.Entry{Time: t0, Kind: "job.printed", Fields: map[string]string{"job": "J0001"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, _ := db.BeginTx(ctx, nil)
		for j := 0; j < 100; j++ {
			if _, err := audit.Append(ctx, tx, e); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkVerify verifies whole logs; the 1,000,000-entry log is built
// once, in one transaction, before timing.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			db := MustOpenDB(b)
			ctx := context.Background()
			tx, _ := db.BeginTx(ctx, nil)
			for i := 0; i < n; i++ {
				e := audit.Entry{Time: t0.Add(time.Duration(i) * time.Second), Kind: "job.printed", Fields: map[string]string{"job": fmt.Sprint(i)}}
				if _, err := audit.Append(ctx, tx, e); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			skey, vkey := MustKeys(b)
			s, _ := audit.NewSigner(skey, time.Now)
			if _, err := s.Checkpoint(ctx, db); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if rep, err := audit.Verify(ctx, db, vkey); err != nil || rep.Entries != int64(n) {
					b.Fatal(err)
				}
			}
		})
	}
}
