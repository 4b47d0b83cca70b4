package documents

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestUpstreamDocFieldRules holds docs/upstream.md's "Field rules" table
// and the specs together: every bound and official list it states is the
// spec's, and every free-text field of every spec has its bound there.
func TestUpstreamDocFieldRules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(docs, "upstream.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "### Field rules")
	if start < 0 {
		t.Fatal(`docs/upstream.md has no "### Field rules"`)
	}
	code := regexp.MustCompile("`([^`]+)`")
	fieldName := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	bound := regexp.MustCompile(`≤ (\d+)`)
	bounded := map[string]bool{}
	rows := 0
	for _, line := range strings.Split(text[start:], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "Fields" {
			continue
		}
		rows++
		var names []string
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			if fieldName.MatchString(m[1]) {
				names = append(names, m[1])
			}
		}
		max := 0
		if m := bound.FindStringSubmatch(cells[1] + cells[2]); m != nil {
			max, _ = strconv.Atoi(m[1])
		}
		var values []string
		if !strings.ContainsAny(cells[2], "^") && !strings.Contains(cells[2], "DD-MM-YYYY") {
			for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
				values = append(values, m[1])
			}
		}
		for _, s := range station.Specs() {
			for _, f := range slices.Concat(s.Fields, s.Columns) {
				if !slices.Contains(names, f.Name) {
					continue
				}
				if max > 0 {
					bounded[f.Name] = true
					if f.MaxLen != max {
						t.Errorf("%s %s: MaxLen %d, docs/upstream.md says %d", s.Type, f.Name, f.MaxLen, max)
					}
				}
				if len(values) > 0 && !slices.Equal(values, f.Values) {
					t.Errorf("%s %s: values %q, docs/upstream.md says %q", s.Type, f.Name, f.Values, values)
				}
			}
		}
	}
	if rows < 10 {
		t.Fatalf("the Field rules table has %d rows", rows)
	}
	for _, s := range station.Specs() {
		for _, f := range slices.Concat(s.Fields, s.Columns) {
			if f.Pattern == "" && len(f.Values) == 0 && !bounded[f.Name] {
				t.Errorf("%s %s: free text without a bound in docs/upstream.md's Field rules", s.Type, f.Name)
			}
		}
	}
}

// TestTemplatesDocFields holds docs/templates.md's table of fields and the
// specs together: one row per registered type, naming its fields, row
// fields and images.
func TestTemplatesDocFields(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(docs, "templates.md"))
	if err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`\b[a-z][a-z0-9_]*\b`)
	names := func(cell string) []string {
		cell, _, _ = strings.Cut(cell, "(") // a remark follows the list
		out := word.FindAllString(cell, -1)
		slices.Sort(out)
		return out
	}
	seen := map[station.DocumentType]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		m := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\|(.*)\\|(.*)\\|(.*)\\|$").FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s, ok := station.SpecOf(station.DocumentType(m[1]))
		if !ok {
			t.Errorf("docs/templates.md lists %s, which is not registered", m[1])
			continue
		}
		seen[s.Type] = true
		var fields, columns, images []string
		for _, f := range s.Fields {
			fields = append(fields, f.Name)
		}
		for _, f := range s.Columns {
			columns = append(columns, f.Name)
		}
		for _, im := range s.Images {
			images = append(images, im.Name)
		}
		for _, c := range []struct {
			what      string
			doc, spec []string
		}{{"fields", names(m[2]), fields}, {"row fields", names(m[3]), columns}, {"images", names(m[4]), images}} {
			slices.Sort(c.spec)
			if !slices.Equal(c.doc, c.spec) {
				t.Errorf("docs/templates.md %s %s: %v, the spec: %v", s.Type, c.what, c.doc, c.spec)
			}
		}
	}
	for _, s := range station.Specs() {
		if !seen[s.Type] {
			t.Errorf("docs/templates.md has no fields row for %s", s.Type)
		}
	}
}
