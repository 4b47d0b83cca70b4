package ctl_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/journal"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/auditrec"
	"github.com/anjungan/anjungan/station/sqlite"
)

// The free text of the logs below: what a printer, a supervisor's
// browser or a driver may say. None of it is personal data.
const (
	freeTitle  = `Kartu <Identitas> & "Anak" — ñ 🪪`
	freeKey    = `req<1>&"2"\x'`
	freeReason = "jam\x01\x1b\t\u2028<x>&\u007f"
	freeClient = "Mozilla/5.0 (X11; \x7f\u2029) <b>&amp;</b> é\t🪪\r\n\b\f\x00"
)

// TestLeafHashesOfRealLogs writes a station log and a printerd log with
// the real code, free text included, and recomputes every leaf hash from
// the stored entries with jcs below, written from docs/audit.md
// ("Format 2") and RFC 8785 without the production encoder. Every stored
// entry must be exactly jcs of its parsed self, its leaf hash the stored
// one, and the export's data and leaf_hash the same.
func TestLeafHashesOfRealLogs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, _, err := runSplit(t, "keys", "init", "-var", dir); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 15, 0, 1, 0, time.FixedZone("WIB", 7*3600))
	clock := func() time.Time { at = at.Add(250 * time.Millisecond); return at }

	// The station: kiosk events through auditrec, console-like entries
	// through the log itself.
	stationDB := filepath.Join(dir, "station.db")
	sdb, err := sqlite.Open(stationDB)
	if err != nil {
		t.Fatal(err)
	}
	ssigner, err := audit.NewSigner(mustReadKey(t, filepath.Join(dir, "keys/audit-station.key")), clock)
	if err != nil {
		t.Fatal(err)
	}
	subjectKey, err := sqlite.LoadSubjectKey(filepath.Join(dir, "keys/subject.key"))
	if err != nil {
		t.Fatal(err)
	}
	slog, err := sqlite.NewAuditLog(sdb, subjectKey, ssigner, mustReadKey(t, filepath.Join(dir, "keys/audit-station.vkey")), clock)
	if err != nil {
		t.Fatal(err)
	}
	rec := auditrec.Recorder{Log: slog, Fallback: func(e station.Event, err error) { t.Errorf("%s lost: %v", e.Kind, err) }}
	nik := station.MustParseNIK("3171014107990001")
	for _, kind := range station.EventKinds {
		rec.Record(ctx, station.Event{Kind: kind, Method: station.AuthCard, Subject: nik, Request: "REQ-1", Job: "J1",
			SHA256: strings.Repeat("ab", 32), Printer: "kartu<1>&" + freeReason, CardSerial: "SIM\t001 🪪"})
	}
	for _, e := range []station.AuditEntry{
		{Kind: "console.login", Actor: "siti", Fields: map[string]string{"outcome": "ok", "client": freeClient}},
		{Kind: "console.nik_lookup", Actor: "siti", Subject: slog.SubjectOf(nik), Fields: map[string]string{"outcome": "ok", "format": ""}},
	} {
		if _, err := slog.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := slog.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sdb.Close(); err != nil {
		t.Fatal(err)
	}

	// printerd: a job's life through the journal.
	psigner, err := audit.NewSigner(mustReadKey(t, filepath.Join(dir, "keys/audit-printerd.key")), clock)
	if err != nil {
		t.Fatal(err)
	}
	jdir := filepath.Join(dir, "printerd")
	j, err := journal.Open(jdir, clock, journal.WithCheckpoints(journal.Checkpoints{Signer: psigner,
		VerifierKey: mustReadKey(t, filepath.Join(dir, "keys/audit-printerd.vkey")), Interval: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.RecordLoad(ctx, printerd.Load{Printer: "card-1", Count: 5, FirstSerial: "A<&é🪪>1", LastSerial: "A<&é🪪>5", Actor: "Sári & <Budi>"}); err != nil {
		t.Fatal(err)
	}
	job, _, err := j.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: freeKey, Media: printerd.MediaCard, Title: freeTitle, Document: []byte("%PDF-1.4 uji")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.ClaimNext(ctx, printerd.MediaCard, "card-1"); err != nil || !ok {
		t.Fatalf("ClaimNext: %v %v", ok, err)
	}
	if _, err := j.Finish(ctx, job.ID, printerd.Result{State: printerd.JobFailed, Printer: "card-1", Reason: freeReason, CardSerial: "C<1>", Spoiled: true}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil { // signs the last checkpoint
		t.Fatal(err)
	}

	for _, log := range []struct{ name, db, vkey string }{
		{"station", stationDB, filepath.Join(dir, "keys/audit-station.vkey")},
		{"printerd", filepath.Join(jdir, "journal.db"), filepath.Join(dir, "keys/audit-printerd.vkey")},
	} {
		t.Run(log.name, func(t *testing.T) {
			stored, leaves := mustStoredLog(t, log.db)
			text := strings.Join(func() []string {
				var s []string
				for _, d := range stored {
					s = append(s, string(d))
				}
				return s
			}(), "\n")
			for _, want := range []string{"<", ">", "&", "é", "🪪", `\u0001`, `\u001b`, `\t`, "\u2028"} {
				if !strings.Contains(text, want) {
					t.Errorf("no entry holds %q: the test does not exercise it", want)
				}
			}
			if log.name == "station" {
				for _, want := range []string{`\r\n\b\f\u0000`, "\x7f\u2029"} {
					if !strings.Contains(text, want) {
						t.Errorf("no entry holds %q", want)
					}
				}
			}
			for i, data := range stored {
				var v map[string]any
				if err := json.Unmarshal(data, &v); err != nil {
					t.Fatalf("entry %d: %v", i, err)
				}
				checkMembers(t, i, v)
				canon := jcs(v)
				if !bytes.Equal(canon, data) {
					t.Errorf("entry %d is not its RFC 8785 form:\nstored %s\n   jcs %s", i, data, canon)
				}
				if h := sha256.Sum256(append([]byte{0}, canon...)); h != leaves[i] {
					t.Errorf("entry %d: leaf hash %x, stored %x", i, h, leaves[i])
				}
			}

			out, stderr, err := runSplit(t, "audit", "export", "-db", log.db, "-vkey", log.vkey)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<20)
			sc.Scan() // the checkpoint
			n := 0
			for sc.Scan() {
				var x struct {
					Index    int
					Data     string
					LeafHash string `json:"leaf_hash"`
				}
				if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
					t.Fatal(err)
				}
				h := sha256.Sum256(append([]byte{0}, x.Data...))
				if x.Data != string(stored[x.Index]) || base64.StdEncoding.EncodeToString(h[:]) != x.LeafHash {
					t.Errorf("exported entry %d: data %s, leaf hash %s; want the stored bytes and %x", x.Index, x.Data, x.LeafHash, h)
				}
				n++
			}
			if n != len(stored) || n < 5 {
				t.Errorf("exported %d entries, stored %d", n, len(stored))
			}
		})
	}
}

// mustStoredLog returns a log's entries and the stored leaf hashes.
func mustStoredLog(t *testing.T, path string) ([][]byte, [][32]byte) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT idx, data FROM audit_entries ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var stored [][]byte
	var leaves [][32]byte
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			t.Fatal(err)
		}
		var h []byte
		if err := db.QueryRow(`SELECT hash FROM audit_hashes WHERE id = ?`, tlog.StoredHashIndex(0, idx)).Scan(&h); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, data)
		leaves = append(leaves, [32]byte(h))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return stored, leaves
}

var docTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8}[1-9])?Z$`)

// checkMembers holds an entry to docs/audit.md's members: kind and time
// always, no empty value anywhere, string values only.
func checkMembers(t *testing.T, i int, v map[string]any) {
	t.Helper()
	for k, m := range v {
		switch k {
		case "actor", "kind", "subject", "time":
			s, ok := m.(string)
			if !ok || s == "" {
				t.Errorf("entry %d: %s = %#v, want a non-empty string", i, k, m)
			}
			if k == "time" && !docTime.MatchString(s) {
				t.Errorf("entry %d: time %q is not RFC 3339 UTC without trailing zeros", i, s)
			}
		case "fields":
			f, ok := m.(map[string]any)
			if !ok || len(f) == 0 {
				t.Errorf("entry %d: fields = %#v, want a non-empty object", i, m)
			}
			for fk, fv := range f {
				if s, ok := fv.(string); !ok || s == "" {
					t.Errorf("entry %d: field %s = %#v, want a non-empty string", i, fk, fv)
				}
			}
		default:
			t.Errorf("entry %d: member %q is not in docs/audit.md", i, k)
		}
	}
	for _, k := range []string{"kind", "time"} {
		if _, ok := v[k]; !ok {
			t.Errorf("entry %d has no %s", i, k)
		}
	}
}

// jcs is RFC 8785 for JSON made of objects and strings, written from the
// RFC, not from internal/audit.
func jcs(v any) []byte {
	var b strings.Builder
	var write func(v any)
	write = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteByte('"')
			for _, r := range v {
				switch {
				case r == '"':
					b.WriteString(`\"`)
				case r == '\\':
					b.WriteString(`\\`)
				case r == 0x08:
					b.WriteString(`\b`)
				case r == 0x09:
					b.WriteString(`\t`)
				case r == 0x0a:
					b.WriteString(`\n`)
				case r == 0x0c:
					b.WriteString(`\f`)
				case r == 0x0d:
					b.WriteString(`\r`)
				case r < 0x20:
					fmt.Fprintf(&b, `\u%04x`, r)
				default:
					b.WriteString(string(r))
				}
			}
			b.WriteByte('"')
		case map[string]any:
			names := make([]string, 0, len(v))
			for k := range v {
				names = append(names, k)
			}
			sort.Slice(names, func(i, j int) bool {
				a, c := utf16.Encode([]rune(names[i])), utf16.Encode([]rune(names[j]))
				for k := 0; k < len(a) && k < len(c); k++ {
					if a[k] != c[k] {
						return a[k] < c[k]
					}
				}
				return len(a) < len(c)
			})
			b.WriteByte('{')
			for i, k := range names {
				if i > 0 {
					b.WriteByte(',')
				}
				write(k)
				b.WriteByte(':')
				write(v[k])
			}
			b.WriteByte('}')
		default:
			panic(fmt.Sprintf("jcs: %T is not in an audit entry", v))
		}
	}
	write(v)
	if !utf8.ValidString(b.String()) {
		panic("jcs: not UTF-8")
	}
	return []byte(b.String())
}
