package station_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestEventKindsAreConstants: no event of the kiosk is given its kind as
// a string literal (Event{Kind: "…"} or ev.Kind = "…"); a kind spelled
// out would slip past EventKinds and its audit mapping. The constants are
// the one spelling.
func TestEventKindsAreConstants(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		isString := func(e ast.Expr) bool {
			lit, ok := e.(*ast.BasicLit)
			return ok && lit.Kind == token.STRING
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); !ok || id.Name != "Event" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Kind" {
							checked++
							if isString(kv.Value) {
								t.Errorf("%s: Event{Kind: %s}: use a station.EventKind constant", fset.Position(kv.Pos()), kv.Value.(*ast.BasicLit).Value)
							}
						}
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Kind" && i < len(n.Rhs) {
						checked++
						if isString(n.Rhs[i]) {
							t.Errorf("%s: .Kind = %s: use a station.EventKind constant", fset.Position(n.Pos()), n.Rhs[i].(*ast.BasicLit).Value)
						}
					}
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("only %d kinds of events found: the test looks at the wrong files", checked)
	}
}

func TestEventKindsAreDistinct(t *testing.T) {
	seen := map[station.EventKind]bool{}
	for _, k := range station.EventKinds {
		if seen[k] || k == "" {
			t.Errorf("event kind %q listed twice or empty", k)
		}
		seen[k] = true
	}
	if !slices.Contains(station.EventKinds, station.EventReleased) {
		t.Error("EventKinds misses released")
	}
}
