package report_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/fleet"
	"github.com/anjungan/anjungan/fleet/report"
)

// column returns the first cells of the table between <!-- name --> and <!-- end name -->.
func column(t *testing.T, doc, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<!-- ` + name + ` -->\n(.*?)<!-- end ` + name + ` -->`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/fleet.md has no %s section", name)
	}
	var out []string
	for i, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
		if i < 2 {
			continue
		}
		out = append(out, strings.Trim(strings.TrimSpace(strings.Split(strings.Trim(line, "|"), "|")[0]), "`"))
	}
	return out
}

// docs/fleet.md is the CSV's contract: its columns, in order, and the
// report's error codes are the code's.
func TestCSVColumnsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := column(t, string(b), "report-csv"); !reflect.DeepEqual(got, report.CSVColumns) {
		t.Errorf("doc columns %v\ncode columns %v", got, report.CSVColumns)
	}
	var codes []string
	for _, e := range fleet.ReportErrors {
		codes = append(codes, string(e.Code))
	}
	if got := column(t, string(b), "report-errors"); !reflect.DeepEqual(got, codes) {
		t.Errorf("doc errors %v, code %v", got, codes)
	}
}
