// Package outlog is the simulated printers' record of physical output:
// an append-only file, output.log in the output directory, with one line
// per card or page that came out of the printer, each synced before the
// print is reported. It is what a test compares with the journal to tell
// a document printed twice, or a print printerd lost, from a correct run
// (printerd/crashtest); the other files a simulator writes may be
// overwritten by a second print of the same job and cannot tell.
//
// A line is space-separated key=value fields, in this order:
//
//	seq=7 time=2025-03-01T08:00:00.123Z job=J2KQ5ZV4M7XQA sha256=9f86d0… card=SIM-000007
//	seq=8 time=2025-03-01T08:00:01.456Z job=JQ3M7ZV4XQ2KA sha256=2c26b4… page=1
//
// seq counts every line of the file from 1 and continues across restarts;
// job is printerd's job id, sha256 the document's; card is the card's
// serial (card printers), page the page number (paper printers).
package outlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anjungan/anjungan/printerd/internal/durable"
)

// Name is the file's name in the output directory.
const Name = "output.log"

// Record is one line: one card or page out of the printer.
type Record struct {
	Seq    int
	Time   time.Time
	Job    string
	SHA256 string
	Card   string // the card's serial; "" for a page
	Page   int    // the page number; 0 for a card
}

// String is the record's line, without the newline.
func (r Record) String() string {
	what := "card=" + r.Card
	if r.Card == "" {
		what = "page=" + strconv.Itoa(r.Page)
	}
	return fmt.Sprintf("seq=%d time=%s job=%s sha256=%s %s", r.Seq, r.Time.UTC().Format(time.RFC3339Nano), r.Job, r.SHA256, what)
}

// Sum is the sha256 field of a document.
func Sum(doc []byte) string {
	s := sha256.Sum256(doc)
	return hex.EncodeToString(s[:])
}

// Log appends records to one output directory's file. It is safe for
// concurrent use.
type Log struct {
	dir string
	mu  sync.Mutex
	seq int // the last seq written
}

// Open opens dir's record and finds its last seq. A line a crash cut
// short is ended with a newline, so the next record starts on its own
// line; Read reports it as torn.
func Open(dir string) (*Log, error) {
	l := &Log{dir: dir}
	recs, _, err := Read(dir)
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		l.seq = recs[len(recs)-1].Seq
	}
	b, err := os.ReadFile(filepath.Join(dir, Name))
	if err == nil && len(b) > 0 && b[len(b)-1] != '\n' {
		if err := l.append([]byte("\n")); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Append writes r with the next seq and the current time, in one write,
// and syncs it (and, when it creates the file, the directory) before it
// returns the record as written.
func (l *Log) Append(r Record) (Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Seq, r.Time = l.seq+1, time.Now().UTC()
	if err := l.append([]byte(r.String() + "\n")); err != nil {
		return Record{}, err
	}
	l.seq = r.Seq
	return r, nil
}

func (l *Log) append(line []byte) error {
	name := filepath.Join(l.dir, Name)
	_, statErr := os.Stat(name)
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		return durable.SyncDir(l.dir)
	}
	return nil
}

// Read returns the records of dir's file in order, and how many lines
// are torn (cut short by a crash, or not records). No file is no record.
func Read(dir string) (recs []Record, torn int, err error) {
	f, err := os.Open(filepath.Join(dir, Name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return parse(f)
}

func parse(rd io.Reader) ([]Record, int, error) {
	var recs []Record
	torn := 0
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r, ok := parseLine(string(line))
		if !ok {
			torn++
			continue
		}
		recs = append(recs, r)
	}
	return recs, torn, sc.Err()
}

func parseLine(line string) (Record, bool) {
	fields := strings.Fields(line)
	if len(fields) != 5 {
		return Record{}, false
	}
	var v [4]string
	for i, k := range []string{"seq", "time", "job", "sha256"} {
		val, ok := strings.CutPrefix(fields[i], k+"=")
		if !ok || val == "" {
			return Record{}, false
		}
		v[i] = val
	}
	r := Record{Job: v[2], SHA256: v[3]}
	var err error
	if r.Seq, err = strconv.Atoi(v[0]); err != nil || r.Seq < 1 || len(r.SHA256) != 64 {
		return Record{}, false
	}
	if r.Time, err = time.Parse(time.RFC3339Nano, v[1]); err != nil {
		return Record{}, false
	}
	if card, ok := strings.CutPrefix(fields[4], "card="); ok && card != "" {
		r.Card = card
		return r, true
	}
	page, ok := strings.CutPrefix(fields[4], "page=")
	if r.Page, err = strconv.Atoi(page); !ok || err != nil || r.Page < 1 {
		return Record{}, false
	}
	return r, true
}
