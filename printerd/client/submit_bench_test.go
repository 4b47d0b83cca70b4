package client_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
	"github.com/anjungan/anjungan/printerd/internal/durable"
)

// submitSamples is how many submissions one run of
// BenchmarkDurableSubmit times: enough for a p99 of ten samples.
const submitSamples = 1000

// BenchmarkDurableSubmit times the station's durable submission of a
// card, end to end: client, unix socket, printerd's API, dispatcher and
// journal (spool write, commit). Its anchor, sample by sample in
// alternation so both see the same disk, is the raw cost of the three
// fsyncs the guarantee needs (docs/printerd.md): the document to a new
// file and fsync, rename and fsync of the directory, 8 KiB appended to a
// log and fsync. Each job settles (held: the printer has no blank card)
// before the next sample, untimed, as one citizen's print does.
//
// ANJUNGAN_BENCH_DIR puts the journal and the anchor's files on another
// file system (a slowed disk, docs/performance.md).
func BenchmarkDurableSubmit(b *testing.B) {
	ctx := context.Background()
	c := client.New(MustServeIn(b, benchDir(b)))
	defer c.CloseIdleConnections()
	doc := MustRead(b, "card.pdf")
	anchor := newFsyncAnchor(b, benchDir(b), len(doc))
	submit := make([]time.Duration, 0, submitSamples)
	raw := make([]time.Duration, 0, submitSamples)
	run := 0
	for b.Loop() {
		run++
		submit, raw = submit[:0], raw[:0]
		for i := range submitSamples {
			raw = append(raw, anchor.sample(b))
			key := "bench-" + strconv.Itoa(run) + "-" + strconv.Itoa(i)
			d := append(bytes.Clone(doc), key...) // a new document: a spool write each time
			start := time.Now()
			job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.MediaCard, Title: "KTP-el", Document: d})
			submit = append(submit, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			for job.State == printerd.JobQueued || job.State == printerd.JobDispatching {
				if job, err = c.Job(ctx, job.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	slices.Sort(submit)
	slices.Sort(raw)
	p := func(d []time.Duration, q int) float64 { return float64(d[len(d)*q/100].Microseconds()) }
	b.ReportMetric(p(submit, 50), "submit-p50-µs")
	b.ReportMetric(p(submit, 99), "submit-p99-µs")
	b.ReportMetric(p(raw, 50), "fsync3-p50-µs")
	b.ReportMetric(p(raw, 99), "fsync3-p99-µs")
	b.ReportMetric(p(submit, 50)/p(raw, 50), "p50-x-fsync3")
	b.ReportMetric(p(submit, 99)/p(raw, 99), "p99-x-fsync3")
}

// benchDir is ANJUNGAN_BENCH_DIR, or a temporary folder.
func benchDir(tb testing.TB) string {
	if d := os.Getenv("ANJUNGAN_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "bench")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = os.RemoveAll(dir) })
		return dir
	}
	return tb.TempDir()
}

// fsyncAnchor makes the three fsyncs of a submission with nothing else.
type fsyncAnchor struct {
	dir string
	doc []byte
	log *os.File
}

func newFsyncAnchor(tb testing.TB, dir string, size int) *fsyncAnchor {
	tb.Helper()
	dir = filepath.Join(dir, "anchor")
	if err := os.Mkdir(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	log, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = log.Close() })
	return &fsyncAnchor{dir: dir, doc: bytes.Repeat([]byte{'x'}, size), log: log}
}

func (a *fsyncAnchor) sample(tb testing.TB) time.Duration {
	frame := make([]byte, 8<<10)
	start := time.Now()
	f, err := os.Create(filepath.Join(a.dir, "doc.tmp"))
	if err == nil {
		_, err = f.Write(a.doc)
	}
	if err == nil {
		err = f.Sync()
	}
	if f != nil {
		_ = f.Close()
	}
	if err == nil {
		err = os.Rename(filepath.Join(a.dir, "doc.tmp"), filepath.Join(a.dir, "doc"))
	}
	if err == nil {
		err = durable.SyncDir(a.dir)
	}
	if err == nil {
		_, err = a.log.Write(frame)
	}
	if err == nil {
		err = a.log.Sync()
	}
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	return took
}
