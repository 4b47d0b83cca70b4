package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
)

// TestEncode pins format 2 byte by byte (docs/audit.md, "Entries"): RFC
// 8785 member order and string escapes, empty values left out, UTC times
// without trailing zeros.
func TestEncode(t *testing.T) {
	at := time.Date(2026, 11, 23, 15, 0, 1, 500_000_000, time.FixedZone("WIB", 7*3600))
	tests := []struct {
		name  string
		entry audit.Entry
		want  string
	}{
		{"members sorted, time last", audit.Entry{Time: at, Kind: "job.printed", Actor: "sari",
			Fields: map[string]string{"printer": "card-1", "job": "J1", "card_serial": "SIM-000001"}},
			`{"actor":"sari","fields":{"card_serial":"SIM-000001","job":"J1","printer":"card-1"},"kind":"job.printed","time":"2026-11-23T08:00:01.5Z"}`},
		{"subject between kind and time", audit.Entry{Time: t0, Kind: "login.ok", Actor: "kiosk", Subject: "ab12",
			Fields: map[string]string{"outcome": "ok"}},
			`{"actor":"kiosk","fields":{"outcome":"ok"},"kind":"login.ok","subject":"ab12","time":"2026-11-23T08:00:00Z"}`},
		{"empty values, actor, subject and fields left out", audit.Entry{Time: t0, Kind: "console.nik_lookup",
			Fields: map[string]string{"format": "", "outcome": ""}},
			`{"kind":"console.nik_lookup","time":"2026-11-23T08:00:00Z"}`},
		{"nanoseconds", audit.Entry{Time: t0.Add(123_456_780), Kind: "k"},
			`{"kind":"k","time":"2026-11-23T08:00:00.12345678Z"}`},
		{"html characters as they are", audit.Entry{Time: t0, Kind: "job.submitted", Fields: map[string]string{"title": "<KTP-el> & 'KIA'"}},
			`{"fields":{"title":"<KTP-el> & 'KIA'"},"kind":"job.submitted","time":"2026-11-23T08:00:00Z"}`},
		{"two-character escapes", audit.Entry{Time: t0, Kind: "k", Fields: map[string]string{"x": "\"\\\b\f\n\r\t/"}},
			`{"fields":{"x":"\"\\\b\f\n\r\t/"},"kind":"k","time":"2026-11-23T08:00:00Z"}`},
		{"other controls as lowercase \\u00xx, DEL as it is", audit.Entry{Time: t0, Kind: "k", Fields: map[string]string{"x": "\x00\x01\x1b\x1f\x7f"}},
			"{\"fields\":{\"x\":\"\\u0000\\u0001\\u001b\\u001f\x7f\"},\"kind\":\"k\",\"time\":\"2026-11-23T08:00:00Z\"}"},
		{"non-ASCII, line separators and emoji as UTF-8", audit.Entry{Time: t0, Kind: "k", Fields: map[string]string{"x": "Sulawesi Utara — ñ \u2028\u2029 🪪"}},
			"{\"fields\":{\"x\":\"Sulawesi Utara — ñ \u2028\u2029 🪪\"},\"kind\":\"k\",\"time\":\"2026-11-23T08:00:00Z\"}"},
		{"invalid UTF-8 becomes U+FFFD", audit.Entry{Time: t0, Kind: "k", Fields: map[string]string{"x": "a\xffb"}},
			"{\"fields\":{\"x\":\"a\uFFFDb\"},\"kind\":\"k\",\"time\":\"2026-11-23T08:00:00Z\"}"},
		// U+E000 sorts after U+1F600 in UTF-8 but before it in UTF-16
		// (a surrogate pair starts with 0xD83D).
		{"names sorted by UTF-16 code units", audit.Entry{Time: t0, Kind: "k", Fields: map[string]string{"\U0001F600": "1", "\uE000": "2", "a": "3"}},
			"{\"fields\":{\"a\":\"3\",\"\U0001F600\":\"1\",\"\uE000\":\"2\"},\"kind\":\"k\",\"time\":\"2026-11-23T08:00:00Z\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.entry.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Encode\n got %s\nwant %s", got, tt.want)
			}
			if audit.FormatOf(got) != audit.Format2 {
				t.Errorf("FormatOf = %d, want 2", audit.FormatOf(got))
			}
			// Decoding and encoding again gives the same bytes.
			e, err := audit.Decode(got)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := e.Encode(); !bytes.Equal(again, got) {
				t.Errorf("re-encoded\n got %s\nwant %s", again, got)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	for name, e := range map[string]audit.Entry{
		"year 10000":                {Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "k"},
		"year before 0":             {Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), Kind: "k"},
		"field name not UTF-8":      {Time: t0, Kind: "k", Fields: map[string]string{"a\xff": "1"}},
		"field names made the same": {Time: t0, Kind: "k", Fields: map[string]string{"a\xfe": "1", "a\xff": "2"}},
	} {
		if b, err := e.Encode(); err == nil {
			t.Errorf("%s: encoded as %s", name, b)
		}
	}
}

// TestEncodeDocumented: the test vector of docs/audit.md is what Encode
// writes, and its leaf hash is SHA-256(0x00 ‖ bytes).
func TestEncodeDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- vector -->\n```\n(.*?)\n```\n.*?leaf hash\\s+`([0-9a-f]{64})`").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/audit.md has no entry test vector")
	}
	data := m[1]
	e, err := audit.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Encode()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("docs/audit.md's vector\n%s\nis not what Encode writes:\n%s", data, got)
	}
	h := sha256.Sum256(append([]byte{0}, data...))
	if hex.EncodeToString(h[:]) != string(m[2]) {
		t.Errorf("leaf hash %x, docs/audit.md says %s", h, m[2])
	}
	if !strings.Contains(string(data), `\u001b`) || !strings.Contains(string(data), "<") {
		t.Error("the vector should show an escaped control and a raw <")
	}
}

// TestVerifyReportsNonCanonicalEntries: a format 2 entry whose bytes are
// not the canonical form is reported even when its hashes are right.
func TestVerifyReportsNonCanonicalEntries(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	skey, vkey := MustKeys(t)
	mustAppend(t, db, 2)
	es := entries(t, db)
	es[1] = []byte(strings.Replace(string(es[1]), `"fields":{"job":"J0001","printer":"card-1"}`, `"fields":{"printer":"card-1","job":"J0001"}`, 1))
	if string(es[1]) == string(entries(t, db)[1]) {
		t.Fatalf("the test did not change the entry: %s", es[1])
	}
	mustExec(t, db, "DELETE FROM audit_entries")
	mustExec(t, db, "DELETE FROM audit_hashes")
	for _, d := range es {
		rawAppend(t, db, d)
	}
	s, _ := audit.NewSigner(skey, time.Now)
	if _, err := s.Checkpoint(ctx, db); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, db, vkey)
	if err == nil || len(rep.Problems) != 1 || rep.Problems[0].Kind != "entry-noncanonical" {
		t.Fatalf("Verify = %+v, %v; want one entry-noncanonical", rep.Problems, err)
	}
}
