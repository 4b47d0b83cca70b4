package i18n_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/anjungan/anjungan/internal/i18n"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		id, en  string
		wantErr string // part of the error; "" for none
	}{
		{"both languages", `{"a":"satu","b":"dua"}`, `{"a":"one","b":"two"}`, ""},
		{"a key missing in English", `{"a":"satu","b":"dua"}`, `{"a":"one"}`, `"b" of id is missing in en`},
		{"a key missing in Bahasa Indonesia", `{"a":"satu"}`, `{"a":"one","c":"three"}`, `"c" of en is missing in id`},
		{"an empty text", `{"a":""}`, `{"a":"one"}`, `"a" is empty in id`},
		{"not an object of strings", `{"a":1}`, `{"a":"one"}`, "id.json"},
		{"not JSON", `{"a":`, `{"a":"one"}`, "id.json"},
		{"a file missing", "", `{"a":"one"}`, "id.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"t/en.json": {Data: []byte(tt.en)}}
			if tt.id != "" {
				fsys["t/id.json"] = &fstest.MapFile{Data: []byte(tt.id)}
			}
			got, err := i18n.Load(fsys, "t")
			if tt.wantErr == "" {
				if err != nil || got.Lang("en")["b"] != "two" || got.Lang("id")["a"] != "satu" {
					t.Fatalf("Load = %v, %v", got, err)
				}
				if got.Lang("fr")["a"] != "satu" {
					t.Errorf("a language without a table does not fall back to Bahasa Indonesia")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error = %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}
