package registry

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestDecodeBoundsFixtures: the decoder accepts every registered document
// at its bounds (station/documents/testdata/<type>.bounds.json): the
// longest names, places and official values real records carry, and the
// most rows; one character more is refused.
func TestDecodeBoundsFixtures(t *testing.T) {
	dir := filepath.Join("..", "documents", "testdata")
	for _, spec := range station.Specs() {
		t.Run(string(spec.Type), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, string(spec.Type)+".bounds.json"))
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				Subject string              `json:"subject"`
				Fields  map[string]string   `json:"fields"`
				Rows    []map[string]string `json:"rows"`
				Images  map[string]string   `json:"images"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			in := documentJSON{RequestID: "req_1", DocumentType: string(spec.Type), NIK: s.Subject, Fields: s.Fields, Rows: s.Rows, Images: map[string]string{}}
			for name, file := range s.Images {
				img, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				in.Images[name] = base64.StdEncoding.EncodeToString(img)
			}
			subject := station.MustParseNIK(s.Subject)
			req := station.PrintRequest{ID: "req_1", Document: spec.Type}
			body, _ := json.Marshal(in)
			doc, err := decodeDocument(body, subject, req)
			if err != nil {
				t.Fatalf("at the bounds: %v", err)
			}
			if len(doc.Rows) != len(s.Rows) {
				t.Fatalf("%d rows, sent %d", len(doc.Rows), len(s.Rows))
			}
			// One character over any bounded free-text field is refused.
			for _, f := range spec.Fields {
				if f.MaxLen == 0 || f.Pattern != "" || len(f.Values) > 0 {
					continue
				}
				over := in
				over.Fields = map[string]string{}
				for k, v := range in.Fields {
					over.Fields[k] = v
				}
				over.Fields[f.Name] += "X"
				body, _ := json.Marshal(over)
				if _, err := decodeDocument(body, subject, req); err == nil {
					t.Errorf("%s one character over its bound of %d was accepted", f.Name, f.MaxLen)
				}
			}
		})
	}
}
