package registrysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf8"
)

// jsonSchema is the subset of JSON Schema docs/schemas uses.
type jsonSchema struct {
	Type       string                 `json:"type"`
	Required   []string               `json:"required"`
	Properties map[string]*jsonSchema `json:"properties"`
	Items      *jsonSchema            `json:"items"`
	MaxItems   *int                   `json:"maxItems"`
	MaxLength  *int                   `json:"maxLength"`
	Pattern    string                 `json:"pattern"`
	Enum       []string               `json:"enum"`
}

// check returns the first way v breaks s, or nil.
func (s *jsonSchema) check(path string, v any) error {
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object", path)
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				return fmt.Errorf("%s: %s missing", path, r)
			}
		}
		for k, sub := range s.Properties {
			if x, ok := m[k]; ok {
				if err := sub.check(path+"."+k, x); err != nil {
					return err
				}
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not an array", path)
		}
		if s.MaxItems != nil && len(a) > *s.MaxItems {
			return fmt.Errorf("%s: %d items, at most %d", path, len(a), *s.MaxItems)
		}
		for i, x := range a {
			if s.Items != nil {
				if err := s.Items.check(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
					return err
				}
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: not a string", path)
		}
		if s.MaxLength != nil && utf8.RuneCountInString(str) > *s.MaxLength {
			return fmt.Errorf("%s: longer than %d", path, *s.MaxLength)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, s.Pattern)
		}
		if len(s.Enum) > 0 && !has(s.Enum, str) {
			return fmt.Errorf("%s: %q not in %v", path, str, s.Enum)
		}
	default:
		return fmt.Errorf("%s: schema type %q not supported by this checker", path, s.Type)
	}
	return nil
}

func mustSchema(tb testing.TB, name string) *jsonSchema {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "schemas", name+".schema.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var s jsonSchema
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return &s
}

// TestDocumentsMatchSchemas validates registry-sim's documents against
// docs/schemas, for several residents, and checks that the checker
// catches a broken document.
func TestDocumentsMatchSchemas(t *testing.T) {
	s := newSim(t)
	for range 4 {
		a := s.MustApprove(t, map[string]any{"documents": []string{"ktp-el", "kia", "kk"}})
		authz := s.MustLogin(t, a)
		for _, r := range authz["requests"].([]any) {
			req := r.(map[string]any)
			path := fmt.Sprintf("/v1/authorizations/%s/requests/%s/document", authz["authorization_id"], req["request_id"])
			st, doc := s.call(t, "GET", path, nil)
			if st != http.StatusOK {
				t.Fatalf("GET %s: %d %v", path, st, doc)
			}
			sch := mustSchema(t, req["document_type"].(string))
			if err := sch.check("$", doc); err != nil {
				t.Errorf("%s: %v", req["document_type"], err)
			}
			delete(doc["fields"].(map[string]any), "tanggal_terbit")
			if err := sch.check("$", doc); err == nil {
				t.Errorf("%s without tanggal_terbit passed", req["document_type"])
			}
		}
	}
}
