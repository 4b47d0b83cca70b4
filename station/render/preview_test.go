package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// preview rasterises pdf with a Previewer whose private folder is the
// test's own.
func preview(t *testing.T, pdf []byte, dpi int) ([][]byte, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil { // as the station's private folder
		t.Fatal(err)
	}
	p, err := NewPreviewer(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p.Preview(context.Background(), pdf, dpi)
}

// TestPreviewKeepsToItsFolder runs a preview with TMPDIR pointing at a
// folder that does not exist, through a pdftoppm that records where it
// runs: the document's copy is 0600 in a 0700 folder of the private
// folder, pdftoppm's TMPDIR is that folder, nothing reaches TMPDIR and
// nothing is left behind.
func TestPreviewKeepsToItsFolder(t *testing.T) {
	real := peer(t, "pdftoppm", "poppler-utils")
	root := t.TempDir()
	private := filepath.Join(root, "station", "tmp")
	if err := os.MkdirAll(private, 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin")
	record := filepath.Join(root, "record")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	// Arguments: -r DPI -png IN ROOT.
	script := "#!/bin/sh\n" +
		"in=$4\n" +
		"{ echo \"TMPDIR $TMPDIR\"; stat -c 'mode %a %n' \"$(dirname \"$in\")\" \"$in\"; } > " + record + "\n" +
		"exec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "pdftoppm"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TMPDIR", filepath.Join(root, "no-such-folder"))

	p, err := NewPreviewer(private)
	if err != nil {
		t.Fatal(err)
	}
	pdf := renderSample(t, "ktp-el")
	pngs, err := p.Preview(context.Background(), pdf, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) == 0 {
		t.Fatal("no page")
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the pdftoppm on PATH did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("record:\n%s", b)
	}
	work, _ := strings.CutPrefix(lines[0], "TMPDIR ")
	if filepath.Dir(work) != private {
		t.Errorf("pdftoppm's TMPDIR %q is not a folder of %s", work, private)
	}
	if lines[1] != "mode 700 "+work {
		t.Errorf("work folder: %q, want mode 700 %s", lines[1], work)
	}
	if lines[2] != "mode 600 "+filepath.Join(work, "doc.pdf") {
		t.Errorf("document copy: %q, want mode 600", lines[2])
	}
	if left, _ := os.ReadDir(private); len(left) != 0 {
		t.Errorf("left in the private folder: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "no-such-folder")); err == nil {
		t.Error("something made TMPDIR")
	}
}

func TestNewPreviewerRefuses(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"no folder": "", "missing": filepath.Join(open, "missing"), "others may read": open} {
		if _, err := NewPreviewer(dir); err == nil {
			t.Errorf("%s: NewPreviewer(%q) accepted it", name, dir)
		}
	}
}

// renderSample renders testdata/<name>.json.
func renderSample(t *testing.T, name string) []byte {
	t.Helper()
	return MustRender(t, MustNewRenderer(t), MustLoadSample(t, name)).PDF
}
