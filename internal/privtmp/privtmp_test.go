package privtmp_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/privtmp"
)

func TestPrepareRemovesLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", privtmp.Name)
	if err := os.MkdirAll(filepath.Join(dir, "preview-1", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"doc.pdf", "preview-1/page-1.png", "preview-1/deep/x"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("3174014512850003"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := privtmp.Prepare(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("after Prepare: %v %v, want an empty folder", entries, err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != privtmp.Mode {
		t.Errorf("mode %v (%v), want %v", fi.Mode().Perm(), err, privtmp.Mode)
	}
	if err := privtmp.Check(dir); err != nil {
		t.Error(err)
	}
}

func TestRefused(t *testing.T) {
	root := t.TempDir()
	open := filepath.Join(root, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		dir     string
		prepare bool // Prepare refuses it too
	}{
		{"empty name", "", true},
		{"missing folder", filepath.Join(root, "missing"), false},
		{"others may read", open, false},
		{"a file", file, true},
		{"a link to a folder", link, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := privtmp.Check(tc.dir); err == nil {
				t.Error("Check accepted it")
			}
			if err := privtmp.Prepare(tc.dir); tc.prepare && err == nil {
				t.Error("Prepare accepted it")
			}
		})
	}
	if _, err := privtmp.MkdirTemp("", "x-"); err == nil {
		t.Error("MkdirTemp with no folder fell back to somewhere")
	}
	if err := privtmp.WriteFile("", "x", nil); err == nil {
		t.Error("WriteFile with no folder fell back to somewhere")
	}
}

func TestWriteFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	if err := privtmp.WriteFile(dir, "doc.pdf", []byte("%PDF")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "doc.pdf"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := privtmp.WriteFile(dir, "doc.pdf", nil); err == nil {
		t.Error("WriteFile replaced a file")
	}
	if err := os.WriteFile(filepath.Join(dir, "page-1.png"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := privtmp.Restrict(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "page-1.png")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after Restrict: mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestEnv(t *testing.T) {
	got := privtmp.Env([]string{"PATH=/bin", "TMPDIR=/tmp", "HOME=/root"}, "/var/printerd/tmp/job-1")
	want := "PATH=/bin HOME=/root TMPDIR=/var/printerd/tmp/job-1"
	if strings.Join(got, " ") != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
}

// allowedTempDir are the program files that may still use the system's
// temp folder, each with why: none of them writes a citizen's data.
var allowedTempDir = map[string]string{
	"station/smartcard/pcsctest/pcsctest.go": "a lock file shared by test processes; holds nothing",
	"internal/deb/deb.go":                    "the package build's staging tree on the build machine: programs and units, no personal data",
	"internal/pgtest/pgtest.go":              "the throw-away PostgreSQL cluster of a test package (Start); make run-fleet keeps its own under var/ (Open)",
}

// TestNoSystemTempFolder fails for any program file (not a _test.go) that
// reaches the system's temp folder: os.TempDir, or os.MkdirTemp /
// os.CreateTemp / ioutil.TempDir / ioutil.TempFile with an empty folder.
// Temporary files belong in the service's private folder (this package).
func TestNoSystemTempFolder(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "var" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		if _, ok := allowedTempDir[rel]; ok {
			return nil
		}
		for _, bad := range systemTempCalls(f) {
			t.Errorf("%s:%d: %s uses the system temp folder; use the service's private folder (internal/privtmp)", rel, fset.Position(bad.Pos()).Line, render(bad))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: the walk missed the module", checked)
	}
}

// systemTempCalls returns the calls in f that reach the system temp
// folder. Package names are taken as imported (os, ioutil).
func systemTempCalls(f *ast.File) []*ast.CallExpr {
	var out []*ast.CallExpr
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		switch name := pkg.Name + "." + sel.Sel.Name; name {
		case "os.TempDir":
			out = append(out, call)
		case "os.MkdirTemp", "os.CreateTemp", "ioutil.TempDir", "ioutil.TempFile":
			if len(call.Args) > 0 {
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && (lit.Value == `""` || lit.Value == "``") {
					out = append(out, call)
				}
			}
		}
		return true
	})
	return out
}

func render(call *ast.CallExpr) string {
	sel := call.Fun.(*ast.SelectorExpr)
	return sel.X.(*ast.Ident).Name + "." + sel.Sel.Name
}

// TestSystemTempCallsFound shows the scan can fail.
func TestSystemTempCallsFound(t *testing.T) {
	src := `package p
import ("os"; "io/ioutil")
func f(dir string) {
	os.MkdirTemp("", "a")
	os.CreateTemp(dir, "b")
	os.CreateTemp("", "c")
	_ = os.TempDir()
	ioutil.TempFile("", "d")
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(systemTempCalls(f)); got != 4 {
		t.Errorf("found %d calls, want 4", got)
	}
}
