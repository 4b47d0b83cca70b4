package registrysim

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/templates"
)

// TestEverySpecIsComplete: a registered document type can be printed end
// to end only with all of its pieces (docs/templates.md, "How to add a
// document type"): a template in templates/ naming it, its schema in
// docs/schemas, a generator here, its title in both languages and its
// fixture at the bounds in station/documents/testdata.
func TestEverySpecIsComplete(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	templated := map[station.DocumentType]bool{}
	files, err := fs.Glob(templates.FS, "*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v, %v", files, err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(templates.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Document station.DocumentType `json:"document"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		templated[head.Document] = true
	}
	specs := station.Specs()
	if len(specs) < 3 {
		t.Fatalf("%d specs registered", len(specs))
	}
	for _, s := range specs {
		missing := func(what string) { t.Errorf("%s: no %s", s.Type, what) }
		if !templated[s.Type] {
			missing(`template in templates/ ("document": "` + string(s.Type) + `")`)
		}
		if _, err := os.Stat(filepath.Join(root, "docs", "schemas", string(s.Type)+".schema.json")); err != nil {
			missing("docs/schemas/" + string(s.Type) + ".schema.json")
		}
		if generators[s.Type] == nil {
			missing("generator in registry-sim (generators)")
		}
		if strings.TrimSpace(s.TitleID) == "" || strings.TrimSpace(s.TitleEN) == "" {
			missing("title in both languages")
		}
		if _, err := os.Stat(filepath.Join(root, "station", "documents", "testdata", string(s.Type)+".bounds.json")); err != nil {
			missing("fixture station/documents/testdata/" + string(s.Type) + ".bounds.json")
		}
	}
}
