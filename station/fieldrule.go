package station

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Normalise is the form in which a value from the upstream is checked and
// printed: trimmed, every run of white space one space, and without the
// invisible characters that print as a stray hyphen or shift text (soft
// hyphen U+00AD, zero-width space and joiners U+200B–U+200D, word joiner
// U+2060, byte order mark U+FEFF).
func Normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u00ad', r >= '\u200b' && r <= '\u200d', r == '\u2060', r == '\ufeff':
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Check reports how v breaks f's rule, or nil. It normalises v first, as
// the upstream decoder does. The error names the field, never the value:
// it may be logged.
func (f FieldSpec) Check(v string) error {
	v = Normalise(v)
	if v == "" {
		if f.Required {
			return fmt.Errorf("field %s is blank", f.Name)
		}
		return nil
	}
	if f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen {
		return fmt.Errorf("field %s longer than %d characters", f.Name, f.MaxLen)
	}
	if len(f.Values) > 0 && !hasValue(f.Values, v) {
		return fmt.Errorf("field %s is not one of its %d official values", f.Name, len(f.Values))
	}
	if f.Pattern != "" && !compiledPattern(f.Pattern).MatchString(v) {
		return fmt.Errorf("field %s does not match %s", f.Name, f.Pattern)
	}
	return nil
}

func hasValue(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// patterns caches the compiled Pattern of registered specs; RegisterDocument
// compiles each, so a malformed pattern stops the program when it starts.
var patterns sync.Map // string → *regexp.Regexp

func compiledPattern(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(p)
	patterns.Store(p, re)
	return re
}

// checkFieldSpecs panics on a malformed list of fields: a repeated or
// empty name, a label missing in either language, a pattern that does not
// compile, or an official value longer than the field's bound.
func checkFieldSpecs(t DocumentType, fields []FieldSpec) {
	seen := map[string]bool{}
	for _, f := range fields {
		if f.Name == "" || seen[f.Name] || f.LabelID == "" || f.LabelEN == "" {
			panic(fmt.Sprintf("station: document spec %q: field %q repeated, unnamed or unlabelled", t, f.Name))
		}
		seen[f.Name] = true
		if f.Pattern != "" {
			if _, err := regexp.Compile(f.Pattern); err != nil {
				panic(fmt.Sprintf("station: document spec %q: field %s: %v", t, f.Name, err))
			}
			compiledPattern(f.Pattern)
		}
		for _, v := range f.Values {
			if f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen {
				panic(fmt.Sprintf("station: document spec %q: field %s: value %q exceeds %d characters", t, f.Name, v, f.MaxLen))
			}
		}
	}
}
