package http

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// printerdKeywords enumerates, from printerd's source, every keyword it
// can put in front of a supervisor: the constants of its keyword types,
// its Reason* and Alert* constants, and the literals its drivers write
// into a reason or keyword.
func printerdKeywords(t *testing.T) map[string]string {
	t.Helper()
	typed := map[string]bool{"JobState": true, "PrinterState": true, "Severity": true, "Media": true, "CardUse": true, "ReasonCode": true}
	found := map[string]string{} // keyword: where
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil && s != ""
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir("../../printerd", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "crashtest" || d.Name() == "drivertest") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				typ, _ := n.Type.(*ast.Ident)
				for i, name := range n.Names {
					if i >= len(n.Values) {
						break
					}
					v, ok := lit(n.Values[i])
					if !ok {
						continue
					}
					if typ != nil && typed[typ.Name] || typ == nil && (strings.HasPrefix(name.Name, "Reason") || strings.HasPrefix(name.Name, "Alert")) {
						found[v] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && (k.Name == "Keyword" || k.Name == "Reason") {
					if v, ok := lit(n.Value); ok {
						found[v] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if s, ok := l.(*ast.SelectorExpr); ok && (s.Sel.Name == "Keyword" || s.Sel.Name == "Reason") && i < len(n.Rhs) {
						if v, ok := lit(n.Rhs[i]); ok {
							found[v] = fset.Position(n.Pos()).String()
						}
					}
				}
			case *ast.FuncDecl:
				if !strings.HasSuffix(strings.ToLower(n.Name.Name), "reason") || n.Body == nil {
					return true
				}
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
						if v, ok := lit(r.Results[0]); ok {
							found[v] = fset.Position(r.Pos()).String()
						}
					}
					return true
				})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestWordsCoverPrinterd holds the keyword table to printerd's code: a
// keyword printerd gains without words in both languages fails here.
func TestWordsCoverPrinterd(t *testing.T) {
	kws := printerdKeywords(t)
	// The walk must find what is known to be there, or it found nothing.
	for _, k := range []string{"stopped", "media-empty", "om_card_54x86mm", "driver-panic", "malformed-reply", "journal-error", "citizen_absent", "in_doubt", "error", "low-stock", "jam", "other"} {
		if _, ok := kws[k]; !ok {
			t.Errorf("printerd's keywords as enumerated lack %q: the enumeration is broken", k)
		}
	}
	var missing []string
	for k, where := range kws {
		if _, ok := words[k]; !ok {
			missing = append(missing, k+" ("+where+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("printerd keyword without words: %s", m)
	}
	id, en := texts("id"), texts("en")
	for k, w := range words {
		if strings.TrimSpace(w[0]) == "" || strings.TrimSpace(w[1]) == "" {
			t.Errorf("keyword %q has an empty text", k)
		}
		if id["kw_"+k] != w[0] || en["kw_"+k] != w[1] {
			t.Errorf("keyword %q is not in the console's texts", k)
		}
	}
}

func TestWord(t *testing.T) {
	id, en := texts("id"), texts("en")
	for _, c := range []struct {
		t    map[string]string
		k    any
		want string
	}{
		{id, "stopped", "berhenti"},
		{en, "stopped", "stopped"},
		{id, "om_card_54x86mm", "kartu PVC 54×86 mm"},
		{id, "vendor-x-thing", "vendor-x-thing"}, // shown as the printer says it
		{id, "jam", "Macet di printer"},
	} {
		if got := word(c.t, c.k); got != c.want {
			t.Errorf("word(%v) = %q, want %q", c.k, got, c.want)
		}
	}
}
