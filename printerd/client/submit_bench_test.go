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
// journal (one transaction: document, job, event, audit entry). The
// document is a rendered KTP-el (70 KB, station/render's golden file),
// made new for each sample by its key appended. Its anchor, sample by
// sample in alternation so both see the same disk, is the raw cost of
// the one fsync the guarantee needs (docs/printerd.md): as many bytes as
// the document and 8 KiB more appended to a log, then fsync. For the
// record it also times the three fsyncs of a spool file beside the
// database (new file and fsync, rename and fsync of the directory, 8 KiB
// appended and fsync), which submissions cost before the document moved
// into the journal. Each job settles (held: the printer has no blank
// card) before the next sample, untimed, as one citizen's print does.
//
// ANJUNGAN_BENCH_DIR puts the journal and the anchors' files on another
// file system (a slowed disk, docs/performance.md).
func BenchmarkDurableSubmit(b *testing.B) {
	ctx := context.Background()
	c := client.New(MustServeIn(b, benchDir(b)))
	defer c.CloseIdleConnections()
	doc, err := os.ReadFile(filepath.Join("..", "..", "station", "render", "testdata", "ktp-el.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	anchor := newFsyncAnchor(b, benchDir(b), len(doc))
	submit := make([]time.Duration, 0, submitSamples)
	one := make([]time.Duration, 0, submitSamples)
	three := make([]time.Duration, 0, submitSamples)
	run := 0
	for b.Loop() {
		run++
		submit, one, three = submit[:0], one[:0], three[:0]
		for i := range submitSamples {
			one = append(one, anchor.one(b))
			three = append(three, anchor.three(b))
			key := "bench-" + strconv.Itoa(run) + "-" + strconv.Itoa(i)
			d := append(bytes.Clone(doc), key...) // a new document each time
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
	slices.Sort(one)
	slices.Sort(three)
	p := func(d []time.Duration, q int) float64 { return float64(d[len(d)*q/100].Microseconds()) }
	b.ReportMetric(p(submit, 50), "submit-p50-µs")
	b.ReportMetric(p(submit, 99), "submit-p99-µs")
	b.ReportMetric(p(one, 50), "fsync1-p50-µs")
	b.ReportMetric(p(one, 99), "fsync1-p99-µs")
	b.ReportMetric(p(submit, 50)/p(one, 50), "p50-x-fsync1")
	b.ReportMetric(p(submit, 99)/p(one, 99), "p99-x-fsync1")
	b.ReportMetric(p(three, 50), "fsync3-p50-µs")
	b.ReportMetric(p(three, 99), "fsync3-p99-µs")
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

// fsyncAnchor makes the fsyncs of a submission with nothing else.
type fsyncAnchor struct {
	dir      string
	doc      []byte
	log, wal *os.File
	walAt    int64
}

// anchorWALSize is where the one-fsync anchor's appends start over, as a
// checkpointed WAL does: some 64 submissions of a card.
const anchorWALSize = 6 << 20

func newFsyncAnchor(tb testing.TB, dir string, size int) *fsyncAnchor {
	tb.Helper()
	dir = filepath.Join(dir, "anchor")
	if err := os.Mkdir(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	a := &fsyncAnchor{dir: dir, doc: bytes.Repeat([]byte{'x'}, size)}
	for _, f := range []**os.File{&a.log, &a.wal} {
		var err error
		*f, err = os.CreateTemp(dir, "log")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = (*f).Close() })
	}
	return a
}

// one writes the document and 8 KiB more at the end of a log and syncs
// it; the log starts over past anchorWALSize, as the WAL does after a
// checkpoint.
func (a *fsyncAnchor) one(tb testing.TB) time.Duration {
	frame := make([]byte, 8<<10)
	start := time.Now()
	_, err := a.wal.WriteAt(a.doc, a.walAt)
	if err == nil {
		_, err = a.wal.WriteAt(frame, a.walAt+int64(len(a.doc)))
	}
	if err == nil {
		err = a.wal.Sync()
	}
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	if a.walAt += int64(len(a.doc) + len(frame)); a.walAt > anchorWALSize {
		a.walAt = 0
	}
	return took
}

// three writes the document to a new file as the spool did, then 8 KiB
// to the log.
func (a *fsyncAnchor) three(tb testing.TB) time.Duration {
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
