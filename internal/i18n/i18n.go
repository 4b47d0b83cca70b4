// Package i18n reads the text tables of the programs' pages: the kiosk's,
// the station console's and the fleet console's. A table is one JSON
// object per language, dir/<lang>.json, of key → text, in every language
// of Langs with the same keys and no empty text. The kiosk's page reads
// the same files in the browser.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// Langs are the languages of every table, Bahasa Indonesia first: it is
// the one a page shows unless asked for another.
var Langs = []string{"id", "en"}

// Tables is a table in every language: language → key → text.
type Tables map[string]map[string]string

// Load reads dir/<lang>.json of fsys for each of Langs. A file that is
// missing or not a JSON object of strings, a key missing in a language or
// an empty text is an error that names them.
func Load(fsys fs.FS, dir string) (Tables, error) {
	t := Tables{}
	for _, lang := range Langs {
		name := path.Join(dir, lang+".json")
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		t[lang] = m
	}
	var bad []string
	for _, lang := range Langs {
		for _, other := range Langs {
			for k, v := range t[lang] {
				if v == "" && other == lang {
					bad = append(bad, fmt.Sprintf("%q is empty in %s", k, lang))
				}
				if _, ok := t[other][k]; !ok {
					bad = append(bad, fmt.Sprintf("%q of %s is missing in %s", k, lang, other))
				}
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("i18n: %s: %v", dir, bad)
	}
	return t, nil
}

// MustLoad is Load for tables embedded in the program, which its tests
// load: it panics on an error.
func MustLoad(fsys fs.FS, dir string) Tables {
	t, err := Load(fsys, dir)
	if err != nil {
		panic(err)
	}
	return t
}

// Lang is lang's table, or Bahasa Indonesia's for a language it does not
// have. Callers only read it.
func (t Tables) Lang(lang string) map[string]string {
	if m, ok := t[lang]; ok {
		return m
	}
	return t[Langs[0]]
}
