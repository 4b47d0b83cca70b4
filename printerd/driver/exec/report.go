package exec

import (
	"strconv"
	"strings"

	"github.com/anjungan/anjungan/printerd"
)

// Report is what a program said on stderr during one run.
type Report struct {
	Reasons  []printerd.Reason
	Supplies []printerd.Supply
	Attrs    map[string]string
	Added    []printerd.Reason // reasons added during this run, in order
	Info     string            // the last INFO: line
	Error    string            // the last ERROR: line
}

// maxText bounds the text kept from one line.
const maxText = 512

// Line folds one line of the program's stderr into r. Lines of other
// kinds (DEBUG:, PAGE:, plain text) are ignored.
func (r *Report) Line(line string) {
	if r.Attrs == nil {
		r.Attrs = map[string]string{}
	}
	kind, rest, ok := strings.Cut(line, ":")
	if !ok {
		return
	}
	rest = strings.TrimSpace(rest)
	switch kind {
	case "STATE":
		r.state(rest)
	case "ATTR":
		for name, value := range attrs(rest) {
			r.Attrs[name] = value
		}
		r.supplies()
	case "INFO":
		r.Info = clip(rest)
	case "ERROR":
		r.Error = clip(rest)
	}
}

func clip(s string) string {
	if len(s) > maxText {
		return s[:maxText]
	}
	return s
}

func (r *Report) state(s string) {
	op := byte(0)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		op, s = s[0], s[1:]
	}
	var list []printerd.Reason
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" && k != "none" && len(k) <= 64 {
			list = append(list, printerd.ParseReason(k))
		}
	}
	switch op {
	case '+':
		for _, n := range list {
			r.Reasons = without(r.Reasons, n.Keyword)
			r.Reasons = append(r.Reasons, n)
			r.Added = append(r.Added, n)
		}
	case '-':
		for _, n := range list {
			r.Reasons = without(r.Reasons, n.Keyword)
		}
	default:
		r.Reasons = list
		r.Added = append(r.Added, list...)
	}
}

func without(rs []printerd.Reason, keyword string) []printerd.Reason {
	out := make([]printerd.Reason, 0, len(rs))
	for _, r := range rs {
		if r.Keyword != keyword {
			out = append(out, r)
		}
	}
	return out
}

// Failure is the reason a failed run gives: the last error reason the
// program added, else the last reason it added.
func (r *Report) Failure() string {
	for i := len(r.Added) - 1; i >= 0; i-- {
		if r.Added[i].Severity == printerd.SeverityError {
			return r.Added[i].Keyword
		}
	}
	if len(r.Added) > 0 {
		return r.Added[len(r.Added)-1].Keyword
	}
	return ""
}

// attrs parses "name=value name='a b' name=\"x\",\"y\"" as CUPS backends
// write them. Values are split at blanks outside quotes; a value wholly
// inside one pair of quotes loses them, any other is kept raw for
// splitList.
func attrs(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return out
		}
		end := scan(rest, func(c byte) bool { return c == ' ' || c == '\t' })
		value := rest[:end]
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && scan(value[1:], func(c byte) bool { return c == value[0] }) == len(value)-2 {
			value = value[1 : len(value)-1]
		}
		if len(out) < 32 {
			out[name] = clip(value)
		}
		s = rest[end:]
	}
	return out
}

// scan returns the index of the first byte of s that stops is true for
// outside quotes and escapes, or len(s).
func scan(s string, stops func(byte) bool) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case stops(c):
			return i
		case c == '"' || c == '\'':
			quote = c
		}
	}
	return len(s)
}

// splitList splits a comma list, honouring quotes and backslashes, and
// removes them.
func splitList(s string) []string {
	var out []string
	for s != "" {
		end := scan(s, func(c byte) bool { return c == ',' })
		out = append(out, unquote(strings.TrimSpace(s[:end])))
		if end == len(s) {
			break
		}
		s = s[end+1:]
	}
	return out
}

func unquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"' || c == '\'':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// supplies rebuilds the supplies from the marker-* attributes.
func (r *Report) supplies() {
	names := splitList(r.Attrs["marker-names"])
	if len(names) == 0 {
		return
	}
	levels, highs, types := splitList(r.Attrs["marker-levels"]), splitList(r.Attrs["marker-high-levels"]), splitList(r.Attrs["marker-types"])
	var out []printerd.Supply
	for i, n := range names {
		s := printerd.Supply{Name: n, Kind: at(types, i, "other"), Level: -1, Max: 100, Unit: "percent"}
		if v, err := strconv.Atoi(at(levels, i, "")); err == nil {
			s.Level = v
		}
		if v, err := strconv.Atoi(at(highs, i, "")); err == nil && v > 0 {
			// A high level other than 100 is a count, e.g. of cards.
			s.Max = v
			if v != 100 {
				s.Unit = "units"
				if strings.Contains(strings.ToLower(n), "card") {
					s.Unit = "cards"
				}
			}
		}
		if s.Level > s.Max {
			s.Level = s.Max
		}
		out = append(out, s)
	}
	r.Supplies = out
}

func at(list []string, i int, def string) string {
	if i < len(list) && list[i] != "" {
		return list[i]
	}
	return def
}
