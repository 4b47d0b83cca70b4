package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A config file gives a program's flags, so that a systemd unit needs no
// long command line. One format for every program (docs/operations.md,
// "Configuration"):
//
//	# a comment
//	key = value
//	key = "a value with \"quotes\" or surrounding spaces"
//
// A key is a flag's name without the dash. A value is the rest of the
// line, trimmed; '#' inside a value is part of it. A repeatable flag takes
// its key once per value. A flag given on the command line overrides the
// file: the file's values for that key are ignored.

// MaxConfigSize bounds what a config file may hold; a file this large is
// not a configuration.
const MaxConfigSize = 64 << 10

// ConfigFlag is the flag every program reads its config file from.
const ConfigFlag = "config"

// ConfigCode says what is wrong with a config file; codes are stable.
type ConfigCode string

// What can be wrong with a config file.
const (
	ConfigUnreadable = ConfigCode("config_unreadable")
	ConfigTooLarge   = ConfigCode("config_too_large")
	ConfigNotText    = ConfigCode("config_not_text") // not UTF-8, or a NUL byte
	ConfigSyntax     = ConfigCode("config_syntax")   // no "=", empty key, bad quotes
	ConfigUnknownKey = ConfigCode("config_unknown_key")
	ConfigDuplicate  = ConfigCode("config_duplicate_key")
	ConfigBadValue   = ConfigCode("config_bad_value")
	// ConfigAmbiguous: a key that means different things to the programs
	// (anjunganctl's commands) sharing the file.
	ConfigAmbiguous = ConfigCode("config_ambiguous_key")
)

// ConfigError is what is wrong with a config file, and where.
type ConfigError struct {
	Path string
	Line int // 0 when about the whole file
	Code ConfigCode
	Err  error
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Setting is one "key = value" line.
type Setting struct {
	Key, Value string
	Line       int
}

// Config is a parsed config file.
type Config struct {
	Path     string
	Settings []Setting
}

// LoadConfig reads and parses the config file at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ConfigError{Path: path, Code: ConfigUnreadable, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, &ConfigError{Path: path, Code: ConfigUnreadable, Err: err}
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a config file's contents; path only names it in
// errors. It checks the syntax, not the keys: Apply does.
func ParseConfig(path string, data []byte) (*Config, error) {
	fail := func(line int, code ConfigCode, format string, args ...any) (*Config, error) {
		return nil, &ConfigError{Path: path, Line: line, Code: code, Err: fmt.Errorf(format, args...)}
	}
	if len(data) > MaxConfigSize {
		return fail(0, ConfigTooLarge, "larger than %d bytes", MaxConfigSize)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return fail(0, ConfigNotText, "not UTF-8 text")
	}
	c := &Config{Path: path}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fail(n, ConfigSyntax, "%q is not key = value", line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !validKey(key) {
			return fail(n, ConfigSyntax, "%q is not a key (a flag's name without the dash)", key)
		}
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				return fail(n, ConfigSyntax, "key %s: bad quoted value %s", key, value)
			}
			value = v
		}
		c.Settings = append(c.Settings, Setting{Key: key, Value: value, Line: n})
	}
	return c, nil
}

// validKey: lower-case letters, digits and inner dashes, as every flag of
// Anjungan is named.
func validKey(k string) bool {
	if k == "" || len(k) > 64 || k[0] == '-' || k[len(k)-1] == '-' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Repeatable reports whether a flag takes several values: by the
// convention of this repository its usage says "repeatable".
func Repeatable(f *flag.Flag) bool { return strings.Contains(f.Usage, "repeatable") }

// Apply sets on fs each setting whose flag was not given on the command
// line (fs has parsed it already). A key fs does not define is an error
// unless elsewhere (nil: none) says another part of the program takes it:
// anjunganctl's commands share one file.
func (c *Config) Apply(fs *flag.FlagSet, elsewhere func(key string) bool) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	seen := map[string]bool{}
	for _, s := range c.Settings {
		fail := func(code ConfigCode, err error) error {
			return &ConfigError{Path: c.Path, Line: s.Line, Code: code, Err: err}
		}
		f := fs.Lookup(s.Key)
		switch {
		case s.Key == ConfigFlag:
			return fail(ConfigUnknownKey, errors.New("a config file cannot name another (config)"))
		case f == nil && elsewhere != nil && elsewhere(s.Key):
			continue
		case f == nil:
			return fail(ConfigUnknownKey, fmt.Errorf("unknown key %q", s.Key))
		case seen[s.Key] && !Repeatable(f):
			return fail(ConfigDuplicate, fmt.Errorf("key %q given twice", s.Key))
		}
		seen[s.Key] = true
		if given[s.Key] {
			continue // the command line wins
		}
		if err := fs.Set(s.Key, s.Value); err != nil {
			return fail(ConfigBadValue, fmt.Errorf("%s: %w", s.Key, err))
		}
	}
	return nil
}

// ConfigFromFlag loads the file named by fs's -config flag; nil when none
// is given. fs must have parsed the command line.
func ConfigFromFlag(fs *flag.FlagSet) (*Config, error) {
	f := fs.Lookup(ConfigFlag)
	if f == nil || f.Value.String() == "" {
		return nil, nil
	}
	return LoadConfig(f.Value.String())
}

// ApplyConfigFlag loads the file named by fs's -config flag, if given, and
// applies it (Apply).
func ApplyConfigFlag(fs *flag.FlagSet, elsewhere func(key string) bool) error {
	c, err := ConfigFromFlag(fs)
	if c == nil || err != nil {
		return err
	}
	return c.Apply(fs, elsewhere)
}
