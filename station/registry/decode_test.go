package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// The applicant of every fixture in testdata/documents.
var fixtureSubject = station.MustParseNIK("3171091203850007")

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "documents", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixtureType is the document type a fixture is requested as: its name's
// prefix.
func fixtureType(name string) station.DocumentType {
	for _, d := range station.DocumentTypes() {
		if strings.HasPrefix(name, string(d)+"-") {
			return d
		}
	}
	return ""
}

// TestDecodeDocumentFixtures runs every fixture in testdata/documents: a
// name ending in -valid decodes; every other name is a failure mode.
func TestDecodeDocumentFixtures(t *testing.T) {
	want := map[string]*fault.Error{
		"ktp-el-subject-mismatch-envelope": station.ErrSubjectMismatch,
		"ktp-el-subject-mismatch-fields":   station.ErrSubjectMismatch,
		"kk-subject-not-listed":            station.ErrSubjectMismatch,
	}
	// The cause of the refusals the field rules make: a fixture must fail
	// for its own reason, not another.
	cause := map[string]string{
		"ktp-el-name-too-long":         "field nama longer than 60 characters",
		"ktp-el-unknown-field":         "unknown field hobi",
		"ktp-el-religion-not-official": "field agama is not one of",
		"ktp-el-blank-name":            "field nama is blank",
		"ktp-el-bad-date":              "field tanggal_terbit does not match",
		"kk-row-unknown-field":         "row 0: unknown field hobi",
		"kk-row-relation-not-official": "row 0: field hubungan is not one of",
		"kk-too-many-rows":             "51 rows",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "documents", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			req := station.PrintRequest{ID: "req_1", Document: fixtureType(name), Status: station.RequestApproved}
			doc, err := decodeDocument(mustRead(t, filepath.Base(f)), fixtureSubject, req)
			if strings.HasSuffix(name, "-valid") {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if doc.Subject != fixtureSubject || doc.Type != req.Document || doc.Request != req.ID || len(doc.Fields) == 0 {
					t.Fatalf("document %+v", doc)
				}
				return
			}
			wantErr := want[name]
			if wantErr == nil {
				wantErr = station.ErrUpstreamInvalid
			}
			if !errors.Is(err, wantErr) {
				t.Fatalf("error %v, want %s", err, wantErr.Code)
			}
			if c := cause[name]; c != "" && !strings.Contains(err.Error(), c) {
				t.Fatalf("error %v, want the cause %q", err, c)
			}
			if strings.Contains(err.Error(), fixtureSubject.Reveal()) {
				t.Fatalf("error reveals the NIK: %v", err)
			}
			for _, v := range fixtureNames(t, filepath.Base(f)) {
				if strings.Contains(err.Error(), v) {
					t.Fatalf("error reveals a name: %v", err)
				}
			}
			t.Log(err)
		})
	}
}

// fixtureNames is the names a fixture shows (its masked fields' values), which
// an error must never repeat.
func fixtureNames(tb testing.TB, name string) []string {
	tb.Helper()
	var in documentJSON
	if json.Unmarshal(mustRead(tb, name), &in) != nil {
		return nil
	}
	spec, _ := station.SpecOf(station.DocumentType(in.DocumentType))
	var out []string
	add := func(fields map[string]string, specs []station.FieldSpec) {
		for _, f := range specs {
			if v := strings.TrimSpace(fields[f.Name]); f.Masked && len(v) > 3 {
				out = append(out, v)
			}
		}
	}
	add(in.Fields, spec.Fields)
	for _, row := range in.Rows {
		add(row, spec.Columns)
	}
	return out
}

// TestDecodeNormalises: what the decoder hands the renderer is normalised
// (no soft hyphen, no zero-width space, single spaces, trimmed), in fields and rows.
func TestDecodeNormalises(t *testing.T) {
	req := station.PrintRequest{ID: "req_1", Document: station.KTPEl}
	doc, err := decodeDocument(mustRead(t, "ktp-el-untidy-valid.json"), fixtureSubject, req)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Fields["nama"] != "BUDI SANTOSO" || doc.Fields["alamat"] != "JL. TEBET RAYA NO. 12" {
		t.Fatalf("nama %q, alamat %q", doc.Fields["nama"], doc.Fields["alamat"])
	}
	var in documentJSON
	if err := decodeJSON(mustRead(t, "kk-valid.json"), &in); err != nil {
		t.Fatal(err)
	}
	in.Rows[1]["nama"] = " DEWI\u00ad  LESTARI "
	b, _ := json.Marshal(in)
	kk, err := decodeDocument(b, fixtureSubject, station.PrintRequest{ID: "req_1", Document: station.KK})
	if err != nil || kk.Rows[1]["nama"] != "DEWI LESTARI" {
		t.Fatalf("row nama %q, %v", kk.Rows[1]["nama"], err)
	}
}

func TestDecodeDocumentJPEG(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 30, 40)), nil); err != nil {
		t.Fatal(err)
	}
	var in documentJSON
	if err := decodeJSON(mustRead(t, "ktp-el-valid.json"), &in); err != nil {
		t.Fatal(err)
	}
	images, err := decodeImages(map[string]string{"photo": base64.StdEncoding.EncodeToString(b.Bytes()), "signature": in.Images["signature"]},
		mustSpec(t, station.KTPEl).Images)
	if err != nil || !bytes.Equal(images["photo"], b.Bytes()) {
		t.Fatalf("JPEG photo: %v", err)
	}
}

func TestDecodeAuthorization(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"valid", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[{"request_id":"req_1","document_type":"kk","status":"approved"},{"request_id":"req_2","document_type":"ktp-el","status":"printed"}]}`, true},
		{"no requests", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[]}`, true},
		{"other method", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"ticket","expires_at":"2026-03-02T09:30:00Z","requests":[]}`, false},
		{"no id", `{"nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[]}`, false},
		{"id with a slash", `{"authorization_id":"a/b","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[]}`, false},
		{"bad nik", `{"authorization_id":"aut_1","nik":"31710912038500","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[]}`, false},
		{"bad expiry", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"tomorrow","requests":[]}`, false},
		{"unknown type", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[{"request_id":"req_1","document_type":"sim","status":"approved"}]}`, false},
		{"unknown status", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[{"request_id":"req_1","document_type":"kk","status":"lost"}]}`, false},
		{"repeated request", `{"authorization_id":"aut_1","nik":"3171091203850007","method":"pin","expires_at":"2026-03-02T09:30:00Z","requests":[{"request_id":"req_1","document_type":"kk","status":"approved"},{"request_id":"req_1","document_type":"kia","status":"approved"}]}`, false},
		{"not json", `Service Unavailable`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeAuthorization([]byte(tt.body), station.AuthPIN)
			if tt.ok {
				if err != nil || a.Subject != fixtureSubject || a.ID != "aut_1" {
					t.Fatalf("decode: %+v, %v", a, err)
				}
				return
			}
			if !errors.Is(err, station.ErrUpstreamInvalid) {
				t.Fatalf("error %v, want %s", err, station.ErrUpstreamInvalid.Code)
			}
		})
	}
}

// FuzzDecodeDocument feeds arbitrary answers to the document decoder as
// a KTP-el (0), KIA (1) or KK (2) request.
func FuzzDecodeDocument(f *testing.F) {
	for _, name := range []string{"ktp-el-valid.json", "kia-valid.json", "kk-valid.json"} {
		f.Add(mustRead(f, name), byte(0))
	}
	f.Fuzz(func(t *testing.T, b []byte, typ byte) {
		req := station.PrintRequest{ID: "req_1", Document: station.DocumentTypes()[int(typ)%len(station.DocumentTypes())]}
		doc, err := decodeDocument(b, fixtureSubject, req)
		if err != nil {
			code := fault.CodeOf(err)
			if code != station.ErrUpstreamInvalid.Code && code != station.ErrSubjectMismatch.Code {
				t.Fatalf("unexpected error code %q: %v", code, err)
			}
			return
		}
		if doc.Subject != fixtureSubject || doc.Type != req.Document {
			t.Fatalf("accepted %+v", doc)
		}
		spec := mustSpec(t, doc.Type)
		mustObey(t, doc.Fields, spec.Fields)
		for _, row := range doc.Rows {
			mustObey(t, row, spec.Columns)
		}
		for name, img := range doc.Images {
			if len(img) > MaxImageBytes {
				t.Fatalf("accepted a %d-byte %s", len(img), name)
			}
		}
	})
}

func mustSpec(tb testing.TB, t station.DocumentType) station.DocumentSpec {
	tb.Helper()
	s, ok := station.SpecOf(t)
	if !ok {
		tb.Fatalf("no spec for %s", t)
	}
	return s
}

// mustObey fails unless every value the decoder accepted is normalised and
// obeys its field's rule, and no field is unknown.
func mustObey(tb testing.TB, got map[string]string, specs []station.FieldSpec) {
	tb.Helper()
	known := map[string]bool{}
	for _, f := range specs {
		known[f.Name] = true
		if err := f.Check(got[f.Name]); err != nil {
			tb.Fatalf("accepted: %v", err)
		}
	}
	for k, v := range got {
		if !known[k] || station.Normalise(v) != v {
			tb.Fatalf("accepted field %s unknown or not normalised", k)
		}
	}
}

func BenchmarkDecodeDocument(b *testing.B) {
	body := mustRead(b, "kk-valid.json")
	req := station.PrintRequest{ID: "req_1", Document: station.KK}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeDocument(body, fixtureSubject, req); err != nil {
			b.Fatal(err)
		}
	}
}
