package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	if !slices.Equal(members, tags) {
		t.Fatalf("docs/printerd.md's SubmitRequest members %v, the code's %v", members, tags)
	}
	mib := func(n int) string { return fmt.Sprintf("%d MiB", n>>20) }
	for member, want := range map[string][]string{
		"idempotency_key": {"required", fmt.Sprintf("1 to %d bytes", printerd.MaxIdempotencyKey), "0x21 to 0x7E"},
		"media":           {"required", "`" + string(printerd.MediaA4) + "`", "`" + string(printerd.MediaCard) + "`"},
		"title":           {"optional", fmt.Sprintf("at most %d bytes", printerd.MaxTitle)},
		"document":        {"required", "1 byte to " + mib(printerd.MaxDocument), "`%PDF-`", "standard base64 with padding"},
	} {
		for _, w := range want {
			if !strings.Contains(rule[member], w) {
				t.Errorf("docs/printerd.md's row for %s does not say %q: %s", member, w, rule[member])
			}
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(sec), " "), "at most "+mib(MaxBody)) || MaxBody%(1<<20) != 0 || printerd.MaxDocument%(1<<20) != 0 {
		t.Errorf("docs/printerd.md does not give the body limit %s", mib(MaxBody))
	}
	if len(regexp.MustCompile("`(iso|om)_[a-z0-9_]+`").FindAllString(rule["media"], -1)) != 2 || printerd.Media("iso_a5_148x210mm").Valid() {
		t.Error("the documented media are not exactly the valid ones")
	}

	// The rules, as decodeSubmit and Validate apply them.
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\n\n")) // ends with ==
	body := func(key, media, title, document string) []byte {
		b, err := json.Marshal(map[string]string{"idempotency_key": key, "media": media, "title": title, "document": document})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int // of decodeSubmit; 0 when it decodes
		valid  bool
	}{
		{"the example", body("REQ-1:1", string(printerd.MediaCard), "KTP-el", pdf), 0, true},
		{"no title", body("k", string(printerd.MediaA4), "", pdf), 0, true},
		{"unknown member ignored", []byte(`{"idempotency_key":"k","media":"om_card_54x86mm","document":"` + pdf + `","copies":2}`), 0, true},
		{"longest key", body(strings.Repeat("~", printerd.MaxIdempotencyKey), string(printerd.MediaCard), "", pdf), 0, true},
		{"key too long", body(strings.Repeat("k", printerd.MaxIdempotencyKey+1), string(printerd.MediaCard), "", pdf), 0, false},
		{"key with a space", body("k 1", string(printerd.MediaCard), "", pdf), 0, false},
		{"key not ASCII", body("kunci-é", string(printerd.MediaCard), "", pdf), 0, false},
		{"no key", body("", string(printerd.MediaCard), "", pdf), 0, false},
		{"unknown media", body("k", "iso_a5_148x210mm", "", pdf), 0, false},
		{"title with a control character", body("k", string(printerd.MediaCard), "KTP\u0007", pdf), 0, false},
		{"title too long", body("k", string(printerd.MediaCard), strings.Repeat("é", printerd.MaxTitle/2+1), pdf), 0, false},
		{"title non-ASCII and <&>", body("k", string(printerd.MediaCard), "Kartu <Anak> & é", pdf), 0, true},
		{"not a PDF", body("k", string(printerd.MediaCard), "", base64.StdEncoding.EncodeToString([]byte("GIF89a"))), 0, false},
		{"empty document", body("k", string(printerd.MediaCard), "", ""), 0, false},
		{"base64 without padding", body("k", string(printerd.MediaCard), "", strings.TrimRight(pdf, "=")), http.StatusBadRequest, false},
		{"URL-safe base64", body("k", string(printerd.MediaCard), "", base64.URLEncoding.EncodeToString([]byte("%PDF-1.7\n\xfb\xff"))), http.StatusBadRequest, false},
		{"a second object", append(body("k", string(printerd.MediaCard), "", pdf), "{}"...), http.StatusBadRequest, false},
		{"not an object", []byte(`[]`), http.StatusBadRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, status, err := decodeSubmit(bytes.NewReader(tc.body))
			if status != tc.status || (err != nil) != (tc.status != 0) {
				t.Fatalf("decodeSubmit = %d, %v; want %d", status, err, tc.status)
			}
			if err != nil {
				if !errors.Is(err, printerd.ErrInvalidJob) {
					t.Errorf("error %v, want job_invalid", err)
				}
				return
			}
			if err := req.Validate(); (err == nil) != tc.valid || (err != nil && !errors.Is(err, printerd.ErrInvalidJob)) {
				t.Errorf("Validate = %v, want valid %v (else job_invalid)", err, tc.valid)
			}
		})
	}
}
