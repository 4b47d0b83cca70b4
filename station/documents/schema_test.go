package documents

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/anjungan/anjungan/station"
)

var update = flag.Bool("update", false, "rewrite docs/schemas from the specs")

// docs is the repository's docs folder.
var docs = filepath.Join("..", "..", "docs")

// object is a JSON object that keeps its keys in order, so that a schema
// lists fields in the order the spec (and the form) does.
type object []member

type member struct {
	key   string
	value any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// defaultMaxLength bounds a free-text field without a MaxLen: the
// decoder's cap on a value (bytes, so at most as many characters).
const defaultMaxLength = 256

// fieldSchema is the JSON Schema of one field's value.
func fieldSchema(f station.FieldSpec) object {
	o := object{{"type", "string"}}
	switch {
	case f.MaxLen > 0:
		o = append(o, member{"maxLength", f.MaxLen})
	case f.Pattern == "" && len(f.Values) == 0:
		o = append(o, member{"maxLength", defaultMaxLength})
	}
	if f.Pattern != "" {
		o = append(o, member{"pattern", f.Pattern})
	}
	if len(f.Values) > 0 {
		values := slices.Clone(f.Values)
		if !f.Required {
			values = append(values, "")
		}
		o = append(o, member{"enum", values})
	}
	return o
}

// fieldsSchema is the schema of a field map.
func fieldsSchema(fields []station.FieldSpec) object {
	required := []string{}
	props := object{}
	for _, f := range fields {
		if f.Required {
			required = append(required, f.Name)
		}
		props = append(props, member{f.Name, fieldSchema(f)})
	}
	return object{{"type", "object"}, {"required", required}, {"properties", props}, {"additionalProperties", false}}
}

// schemaOf renders a spec as the JSON Schema of its upstream document
// (docs/upstream.md).
func schemaOf(s station.DocumentSpec) object {
	rows := object{{"type", "array"}, {"maxItems", 0}}
	if len(s.Columns) > 0 {
		rows = object{{"type", "array"}, {"minItems", s.MinRows}, {"maxItems", s.MaxRows}, {"items", fieldsSchema(s.Columns)}}
	}
	required := []string{}
	images := object{}
	for _, im := range s.Images {
		if im.Required {
			required = append(required, im.Name)
		}
		images = append(images, member{im.Name, object{{"type", "string"}, {"description", "standard base64 of a PNG or JPEG"}}})
	}
	return object{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", "https://anjungan.example/schemas/" + string(s.Type) + ".schema.json"},
		{"title", s.TitleID + " document data (upstream contract v1)"},
		{"type", "object"},
		{"required", []string{"request_id", "document_type", "nik", "fields", "rows", "images"}},
		{"properties", object{
			{"request_id", object{{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]{1,128}$"}}},
			{"document_type", object{{"type", "string"}, {"enum", []string{string(s.Type)}}}},
			{"nik", object{{"type", "string"}, {"pattern", "^[0-9]{16}$"}, {"description", "the authenticated applicant"}}},
			{"fields", fieldsSchema(s.Fields)},
			{"rows", rows},
			{"images", object{{"type", "object"}, {"required", required}, {"properties", images}, {"additionalProperties", false}}},
		}},
	}
}

func schemaPath(t station.DocumentType) string {
	return filepath.Join(docs, "schemas", string(t)+".schema.json")
}

// TestSchemasFollowSpecs: docs/schemas/<type>.schema.json is the spec
// rendered as JSON Schema; -update rewrites them.
func TestSchemasFollowSpecs(t *testing.T) {
	for _, s := range station.Specs() {
		want, err := json.MarshalIndent(schemaOf(s), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := schemaPath(s.Type)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (go test ./station/documents -update writes it)", s.Type, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the %s spec; go test ./station/documents -update rewrites it", path, s.Type)
		}
	}
}

// TestOpenAPIDocumentTypes: the OpenAPI file's document_type enum lists
// exactly the registered types.
func TestOpenAPIDocumentTypes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(docs, "upstream.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The schema's enum follows its name within a few lines.
	m := regexp.MustCompile(`(?m)^ +DocumentType:\n(?: +[a-z].*\n){0,4}? +enum: *\[([^\]]*)\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("upstream.openapi.yaml has no DocumentType schema with an enum: [...]")
	}
	var got []string
	for _, v := range regexp.MustCompile(`[a-z0-9-]+`).FindAll(m[1], -1) {
		got = append(got, string(v))
	}
	var want []string
	for _, d := range station.DocumentTypes() {
		want = append(want, string(d))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("OpenAPI DocumentType enum %v, registered %v", got, want)
	}
}
