package registrysim

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
)

// These tests keep docs/upstream.openapi.yaml in step with the
// simulator: a route, an error code or a fault added here without being
// documented there fails them. The YAML is read as text (the standard
// library has no YAML parser), so it must keep the layout they expect:
// two-space indentation, paths as keys two spaces under `paths:`, and
// the ErrorCode, FaultRoute and FaultKind schemas as `oneOf` lists of
// `- const: name` entries.

var repoRoot = filepath.Join("..", "..", "..")

// openAPI returns the lines of docs/upstream.openapi.yaml.
func openAPI(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "upstream.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

// yamlBlock returns the lines nested under the first line that is key
// followed by a colon alone: the lines after it up to the first
// non-blank one indented no deeper than it.
func yamlBlock(t *testing.T, lines []string, key string) []string {
	t.Helper()
	for i, l := range lines {
		if strings.TrimSpace(l) != key+":" {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		end := i + 1
		for ; end < len(lines); end++ {
			m := lines[end]
			if strings.TrimSpace(m) != "" && len(m)-len(strings.TrimLeft(m, " ")) <= indent {
				break
			}
		}
		return lines[i+1 : end]
	}
	t.Fatalf("docs/upstream.openapi.yaml has no %q block", key+":")
	return nil
}

// sources returns the text of this package's non-test Go files (or of
// the package in dir), by file name.
func sources(t *testing.T, dir string) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(name)] = string(b)
	}
	if len(out) == 0 {
		t.Fatalf("no Go sources in %s", dir)
	}
	return out
}

var (
	// handle("GET /v1/…", …) in server.go's routes.
	routeRE = regexp.MustCompile(`\bhandle\(\s*"(?:([A-Z]+) )?(/[^"]*)"`)
	// Keys of the paths block and the operations under them.
	pathKeyRE = regexp.MustCompile(`^  ['"]?(/[^'":]*)['"]?:\s*$`)
	opKeyRE   = regexp.MustCompile(`^    (get|put|post|delete|patch|head|options|trace):\s*$`)
	// Entries of a oneOf list of constants, and an error code's status.
	constRE  = regexp.MustCompile(`^\s*- const: ['"]?([a-z_-]+)['"]?\s*$`)
	statusRE = regexp.MustCompile(`^\s*x-http-status: (\d{3})\s*$`)
	// Error codes: made here, or named in package station or fault.
	newCodeRE     = regexp.MustCompile(`\bfault\.New\(\s*"([a-z_]+)"`)
	stationRefRE  = regexp.MustCompile(`\bstation\.(Err\w+)`)
	faultRefRE    = regexp.MustCompile(`\bfault\.([A-Z]\w*)`)
	stationDeclRE = regexp.MustCompile(`\b(Err\w+)\s*=\s*fault\.New\(\s*"([a-z_]+)"`)
	faultDeclRE   = regexp.MustCompile(`\b([A-Z]\w*)\s*=\s*New\(\s*"([a-z_]+)"`)
)

// TestOpenAPIDocumentsEveryRoute checks that the routes server.go
// registers and the operations of the YAML's paths are the same.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	registered := map[string]bool{} // "METHOD /path"; "* /path" for any method
	for _, src := range sources(t, ".") {
		for _, m := range routeRE.FindAllStringSubmatch(src, -1) {
			method, path := m[1], m[2]
			if method == "" && path == "/" {
				continue // the catch-all: not_found, documented with the error codes
			}
			if method == "" {
				method = "*"
			}
			registered[method+" "+path] = true
		}
	}
	if len(registered) == 0 {
		t.Fatal("found no handle(...) routes in the sources: update routeRE")
	}

	documented := map[string]bool{}
	path := ""
	for _, l := range yamlBlock(t, openAPI(t), "paths") {
		if m := pathKeyRE.FindStringSubmatch(l); m != nil {
			path = m[1]
			documented["* "+path] = true
		} else if m := opKeyRE.FindStringSubmatch(l); m != nil && path != "" {
			documented[strings.ToUpper(m[1])+" "+path] = true
		}
	}

	for r := range registered {
		if !documented[r] {
			t.Errorf("route %s is registered in server.go but not documented in docs/upstream.openapi.yaml", r)
		}
	}
	for r := range documented {
		if !strings.HasPrefix(r, "* ") && !registered[r] {
			t.Errorf("operation %s is in docs/upstream.openapi.yaml but server.go does not register it", r)
		}
	}
}

// TestOpenAPIDocumentsEveryErrorCode checks that every error code the
// simulator can answer is in the ErrorCode schema with the HTTP status
// writeError gives it, and that the schema lists no other code.
func TestOpenAPIDocumentsEveryErrorCode(t *testing.T) {
	// What station.ErrX and fault.X name, from their declarations.
	stationCodes := map[string]string{}
	for _, src := range sources(t, filepath.Join(repoRoot, "station")) {
		for _, m := range stationDeclRE.FindAllStringSubmatch(src, -1) {
			stationCodes[m[1]] = m[2]
		}
	}
	faultCodes := map[string]string{}
	for _, src := range sources(t, filepath.Join(repoRoot, "internal", "fault")) {
		for _, m := range faultDeclRE.FindAllStringSubmatch(src, -1) {
			faultCodes[m[1]] = m[2]
		}
	}

	used := map[string]string{} // code -> where it was found
	for file, src := range sources(t, ".") {
		for _, m := range newCodeRE.FindAllStringSubmatch(src, -1) {
			used[m[1]] = file
		}
		for _, m := range stationRefRE.FindAllStringSubmatch(src, -1) {
			code, ok := stationCodes[m[1]]
			if !ok {
				t.Errorf("%s: station.%s is not declared as fault.New(...) in package station: update stationDeclRE", file, m[1])
				continue
			}
			used[code] = file
		}
		for _, m := range faultRefRE.FindAllStringSubmatch(src, -1) {
			if code, ok := faultCodes[m[1]]; ok { // fault.As, fault.Code... are not codes
				used[code] = file
			}
		}
	}
	// writeError answers every code httpStatus knows, and internal for the rest.
	for code := range httpStatus {
		used[string(code)] = "httpStatus"
	}
	if len(used) == 0 {
		t.Fatal("found no error codes in the sources: update the regexps")
	}

	documented := map[string]int{}
	code := ""
	for _, l := range yamlBlock(t, openAPI(t), "ErrorCode") {
		if m := constRE.FindStringSubmatch(l); m != nil {
			code = m[1]
			documented[code] = 0
		} else if m := statusRE.FindStringSubmatch(l); m != nil && code != "" {
			documented[code], _ = strconv.Atoi(m[1])
		}
	}

	for code, file := range used {
		status, ok := documented[code]
		if !ok {
			t.Errorf("error code %s (%s) is not in the ErrorCode schema of docs/upstream.openapi.yaml", code, file)
			continue
		}
		want, known := httpStatus[fault.Code(code)]
		if !known {
			want = http.StatusInternalServerError
		}
		if status != want {
			t.Errorf("error code %s: docs/upstream.openapi.yaml says x-http-status %d, the simulator answers %d", code, status, want)
		}
	}
	for code := range documented {
		if _, ok := used[code]; !ok {
			t.Errorf("docs/upstream.openapi.yaml documents error code %s, which the simulator never answers", code)
		}
	}
}

// TestOpenAPIDocumentsEveryFault checks the FaultRoute and FaultKind
// schemas against the routes and kinds POST /admin/faults accepts.
func TestOpenAPIDocumentsEveryFault(t *testing.T) {
	lines := openAPI(t)
	consts := func(schema string) []string {
		var out []string
		for _, l := range yamlBlock(t, lines, schema) {
			if m := constRE.FindStringSubmatch(l); m != nil {
				out = append(out, m[1])
			}
		}
		slices.Sort(out)
		return out
	}
	routes := slices.Sorted(slices.Values(faultRoutes))
	if got := consts("FaultRoute"); !slices.Equal(got, routes) {
		t.Errorf("FaultRoute in docs/upstream.openapi.yaml lists %v; the simulator accepts %v", got, routes)
	}
	var kinds []string
	for _, k := range faultKinds {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	if got := consts("FaultKind"); !slices.Equal(got, kinds) {
		t.Errorf("FaultKind in docs/upstream.openapi.yaml lists %v; the simulator accepts %v", got, kinds)
	}
}
