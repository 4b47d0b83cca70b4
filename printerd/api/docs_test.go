package api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

// TestSubmitRequestDocumented holds docs/printerd.md's SubmitRequest
// table to the code: the members are SubmitRequest's JSON names in
// order, the limits are the constants, the media its valid values, and
// the rules it states are the ones decodeSubmit and Validate apply.
func TestSubmitRequestDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/printerd.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	sec, _, _ := strings.Cut(doc[strings.Index(doc, "### SubmitRequest"):], "\n## ")
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([^|]+) \\| ([^|]+) \\|$").FindAllStringSubmatch(sec, -1)
	rule := map[string]string{}
	var members []string
	for _, r := range rows {
		members = append(members, r[1])
		rule[r[1]] = r[2] + " " + r[3]
	}
	var tags []string
	rt := reflect.TypeFor[printerd.SubmitRequest]()
	for i := range rt.NumField() {
		if tag := strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]; tag != "-" {
			tags = append(tags, tag)
		}
	}
	// The header's members, in order, then the body.
	if !slices.Equal(members, append(tags, "document")) {
		t.Fatalf("docs/printerd.md's SubmitRequest members %v, the code's %v and document", members, tags)
	}
	mib := func(n int) string { return fmt.Sprintf("%d MiB", n>>20) }
	for member, want := range map[string][]string{
		"idempotency_key": {"header", "required", fmt.Sprintf("1 to %d bytes", printerd.MaxIdempotencyKey), "0x21 to 0x7E"},
		"media":           {"header", "required", "`" + string(printerd.MediaA4) + "`", "`" + string(printerd.MediaCard) + "`"},
		"title":           {"header", "optional", fmt.Sprintf("at most %d bytes", printerd.MaxTitle)},
		"document_type":   {"header", "optional", fmt.Sprintf("1 to %d bytes", printerd.MaxDocumentType), "`[a-z0-9-]`", "`ktp-el`"},
		"presence":        {"header", "optional"},
		"document":        {"the body", "required", "1 byte to " + mib(printerd.MaxDocument), "`%PDF-`"},
	} {
		for _, w := range want {
			if !strings.Contains(rule[member], w) {
				t.Errorf("docs/printerd.md's row for %s does not say %q: %s", member, w, rule[member])
			}
		}
	}
	flat := strings.Join(strings.Fields(sec), " ")
	for _, w := range []string{"at most " + mib(MaxBody), "`" + JobHeader + "`", "Content-Type: " + ContentTypePDF,
		fmt.Sprintf("at most %d KiB", MaxJobHeader>>10), "`415`", "`413`"} {
		if !strings.Contains(flat, w) {
			t.Errorf("docs/printerd.md's SubmitRequest does not say %q", w)
		}
	}
	if MaxBody%(1<<20) != 0 || printerd.MaxDocument%(1<<20) != 0 || MaxJobHeader%(1<<10) != 0 {
		t.Error("a limit is not a whole number of the unit the doc gives it in")
	}
	if len(regexp.MustCompile("`(iso|om)_[a-z0-9_]+`").FindAllString(rule["media"], -1)) != 2 || printerd.Media("iso_a5_148x210mm").Valid() {
		t.Error("the documented media are not exactly the valid ones")
	}
	// The example request, byte by byte, decodes to a valid request.
	example := regexp.MustCompile(`(?m)^    (Printerd-Job: .*)\\r\\n$`).FindStringSubmatch(sec)
	if example == nil {
		t.Fatal("docs/printerd.md has no example Printerd-Job line")
	}
	_, value, _ := strings.Cut(example[1], ": ")
	h := http.Header{"Content-Type": {ContentTypePDF}, JobHeader: {value}}
	if req, status, err := decodeSubmit(h, strings.NewReader("%PDF-1.7\n"), -1); err != nil || req.Validate() != nil {
		t.Errorf("the documented example: %d %v", status, err)
	}

	// The rules, as decodeSubmit and Validate apply them.
	pdf := []byte("%PDF-1.7\n\n")
	type submission struct {
		contentType string
		headers     []string
		body        []byte
	}
	header := func(key, media, title string) string {
		v, err := EncodeJobHeader(printerd.SubmitRequest{IdempotencyKey: key, Media: printerd.Media(media), Title: title})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sub := func(key, media, title string, document []byte) submission {
		return submission{ContentTypePDF, []string{header(key, media, title)}, document}
	}
	for _, tc := range []struct {
		name   string
		sub    submission
		status int // of decodeSubmit; 0 when it decodes
		valid  bool
	}{
		{"the example", sub("REQ-1:1", string(printerd.MediaCard), "KTP-el", pdf), 0, true},
		{"no title", sub("k", string(printerd.MediaA4), "", pdf), 0, true},
		{"unknown member ignored", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"om_card_54x86mm","copies":2}`}, pdf}, 0, true},
		{"a document member ignored", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"om_card_54x86mm","document":"JVBERi0="}`}, nil}, 0, false},
		{"Content-Type with parameters", submission{ContentTypePDF + "; name=card.pdf", []string{header("k", string(printerd.MediaCard), "")}, pdf}, 0, true},
		{"longest key", sub(strings.Repeat("~", printerd.MaxIdempotencyKey), string(printerd.MediaCard), "", pdf), 0, true},
		{"key too long", sub(strings.Repeat("k", printerd.MaxIdempotencyKey+1), string(printerd.MediaCard), "", pdf), 0, false},
		{"key with a space", sub("k 1", string(printerd.MediaCard), "", pdf), 0, false},
		{"key not ASCII", sub("kunci-é", string(printerd.MediaCard), "", pdf), 0, false},
		{"no key", sub("", string(printerd.MediaCard), "", pdf), 0, false},
		{"unknown media", sub("k", "iso_a5_148x210mm", "", pdf), 0, false},
		{"title with a control character", sub("k", string(printerd.MediaCard), "KTP\u0007", pdf), 0, false},
		{"title too long", sub("k", string(printerd.MediaCard), strings.Repeat("é", printerd.MaxTitle/2+1), pdf), 0, false},
		{"title non-ASCII and <&>", sub("k", string(printerd.MediaCard), "Kartu <Anak> & é 𝔸", pdf), 0, true},
		{"document type id", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"iso_a4_210x297mm","document_type":"akta-kelahiran"}`}, pdf}, 0, true},
		{"document type as a title", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"iso_a4_210x297mm","document_type":"Kartu Keluarga"}`}, pdf}, 0, false},
		{"document type too long", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"iso_a4_210x297mm","document_type":"` + strings.Repeat("k", printerd.MaxDocumentType+1) + `"}`}, pdf}, 0, false},
		{"not a PDF", sub("k", string(printerd.MediaCard), "", []byte("GIF89a")), 0, false},
		{"empty document", sub("k", string(printerd.MediaCard), "", nil), 0, false},
		{"raw UTF-8 in the header", submission{ContentTypePDF, []string{`{"idempotency_key":"k","media":"om_card_54x86mm","title":"é"}`}, pdf}, http.StatusBadRequest, false},
		{"a second object", submission{ContentTypePDF, []string{header("k", string(printerd.MediaCard), "") + "{}"}, pdf}, http.StatusBadRequest, false},
		{"not an object", submission{ContentTypePDF, []string{`[]`}, pdf}, http.StatusBadRequest, false},
		{"two headers", submission{ContentTypePDF, []string{header("k", string(printerd.MediaCard), ""), header("k", string(printerd.MediaCard), "")}, pdf}, http.StatusBadRequest, false},
		{"no header", submission{ContentTypePDF, nil, pdf}, http.StatusBadRequest, false},
		{"header too long", submission{ContentTypePDF, []string{`{"title":"` + strings.Repeat("a", MaxJobHeader) + `"}`}, pdf}, http.StatusBadRequest, false},
		{"JSON with base64", submission{"application/json", nil, []byte(`{"idempotency_key":"k","media":"om_card_54x86mm","document":"` + base64.StdEncoding.EncodeToString(pdf) + `"}`)}, http.StatusUnsupportedMediaType, false},
		{"no Content-Type", submission{"", []string{header("k", string(printerd.MediaCard), "")}, pdf}, http.StatusUnsupportedMediaType, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sub.contentType != "" {
				h.Set("Content-Type", tc.sub.contentType)
			}
			for _, v := range tc.sub.headers {
				h.Add(JobHeader, v)
			}
			req, status, err := decodeSubmit(h, bytes.NewReader(tc.sub.body), int64(len(tc.sub.body)))
			if status != tc.status || (err != nil) != (tc.status != 0) {
				t.Fatalf("decodeSubmit = %d, %v; want %d", status, err, tc.status)
			}
			if err != nil {
				if !errors.Is(err, printerd.ErrInvalidJob) {
					t.Errorf("error %v, want job_invalid", err)
				}
				return
			}
			if !bytes.Equal(req.Document, tc.sub.body) {
				t.Errorf("document %q, want the body %q", req.Document, tc.sub.body)
			}
			if err := req.Validate(); (err == nil) != tc.valid || (err != nil && !errors.Is(err, printerd.ErrInvalidJob)) {
				t.Errorf("Validate = %v, want valid %v (else job_invalid)", err, tc.valid)
			}
		})
	}
}
