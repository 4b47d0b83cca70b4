package render

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestTemplatesDoc holds docs/templates.md to the code: the fields
// table to SchemaOf, and the bounds table to the corpus's bounds.
func TestTemplatesDoc(t *testing.T) {
	data, err := os.ReadFile("../../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	paren := regexp.MustCompile(`\s*\([^)]*\)`)
	names := func(cell string) []string {
		cell = paren.ReplaceAllString(cell, "")
		var out []string
		for _, n := range strings.Split(cell, ",") {
			if n = strings.Trim(strings.TrimSpace(n), "`"); n != "" && n != "—" {
				out = append(out, n)
			}
		}
		return out
	}
	for _, typ := range station.DocumentTypes() {
		s, _ := SchemaOf(typ)
		m := regexp.MustCompile("(?m)^\\| `" + string(typ) + "` \\| ([^|]*) \\| ([^|]*) \\| ([^|]*) \\|$").FindStringSubmatch(doc)
		if m == nil {
			t.Errorf("no fields row for %s", typ)
			continue
		}
		if got := names(m[1]); !slices.Equal(got, s.Fields) {
			t.Errorf("%s fields: doc %v, code %v", typ, got, s.Fields)
		}
		if got := names(m[2]); !slices.Equal(got, s.RowFields) {
			t.Errorf("%s row fields: doc %v, code %v", typ, got, s.RowFields)
		}
	}
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z_, ]+) \| ([0-9]+) \|`).FindAllStringSubmatch(doc, -1) {
		n, _ := strconv.Atoi(m[2])
		for _, f := range names(m[1]) {
			got[f] = n
		}
	}
	for f, b := range fieldBounds {
		if got[f] != b {
			t.Errorf("bound of %s: doc %d, corpus %d", f, got[f], b)
		}
	}
	if len(got) != len(fieldBounds) {
		t.Errorf("doc lists bounds for %d fields, the corpus for %d", len(got), len(fieldBounds))
	}
}
