package cli_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/cli"
	"github.com/anjungan/anjungan/cmd/internal/ctl"
	"github.com/anjungan/anjungan/cmd/internal/fleethub"
	"github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/cmd/internal/station"
)

var update = flag.Bool("update", false, "rewrite the key tables of docs/operations.md from the flag sets")

const operationsDoc = "../../../docs/operations.md"

// keyTable is the documentation of one program's config keys: every flag
// but -config, its default and its meaning. commands, when set, names the
// anjunganctl commands that take each key.
func keyTable(fs *flag.FlagSet, commands map[string][]string) string {
	var b strings.Builder
	if commands != nil {
		b.WriteString("| key | default | commands | meaning |\n|---|---|---|---|\n")
	} else {
		b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	}
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == cli.ConfigFlag {
			return
		}
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" || f.DefValue == "[]" {
			def = "—"
		}
		if commands != nil {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, cell(def), strings.Join(commands[f.Name], ", "), cell(f.Usage))
		} else {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, cell(def), cell(f.Usage))
		}
	})
	return b.String()
}

// keyTables returns the table of each program, by the name its markers
// in the doc carry.
func keyTables() map[string]string {
	// anjunganctl: the union of its commands' flags. A key whose default
	// differs between commands is refused in its file (ctl's parseArgs).
	all := cli.NewFlagSet("anjunganctl")
	commands := map[string][]string{}
	sets := ctl.CommandFlags()
	names := make([]string, 0, len(sets))
	for name := range sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sets[name].VisitAll(func(f *flag.Flag) {
			if a := all.Lookup(f.Name); a == nil {
				all.Var(f.Value, f.Name, f.Usage)
				all.Lookup(f.Name).DefValue = f.DefValue
			} else if a.DefValue != f.DefValue {
				a.DefValue, a.Usage = "", "differs by command, so the config file refuses it: give it on the command line"
			}
			commands[f.Name] = append(commands[f.Name], name)
		})
	}
	for _, c := range commands {
		sort.Strings(c)
	}
	return map[string]string{
		"station":      keyTable(station.NewMain().Flags(), nil),
		"printerd":     keyTable(printerd.NewMain().Flags(), nil),
		"registry-sim": keyTable(registrysim.NewMain().Flags(), nil),
		"fleethub":     keyTable(fleethub.NewMain().Flags(), nil),
		"anjunganctl":  keyTable(all, commands),
	}
}

// TestOperationsDocListsEveryKey holds docs/operations.md to the flag sets:
// between "<!-- keys NAME -->" and "<!-- end keys NAME -->" stands the
// table of program NAME. go test -run OperationsDoc -update rewrites them.
func TestOperationsDocListsEveryKey(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for name, table := range keyTables() {
		re := regexp.MustCompile(`(?s)(<!-- keys ` + regexp.QuoteMeta(name) + ` -->\n)(.*?)(<!-- end keys ` + regexp.QuoteMeta(name) + ` -->)`)
		m := re.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("docs/operations.md has no <!-- keys %s --> … <!-- end keys %s --> section", name, name)
			continue
		}
		if m[2] == table {
			continue
		}
		if *update {
			text = re.ReplaceAllLiteralString(text, m[1]+table+m[3])
			continue
		}
		t.Errorf("docs/operations.md: the keys of %s differ from its flags (go test ./cmd/internal/cli -run OperationsDoc -update)\nwant:\n%s", name, table)
	}
	if *update && text != string(doc) {
		if err := os.WriteFile(operationsDoc, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
