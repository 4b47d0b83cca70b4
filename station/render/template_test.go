package render

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/templates"
)

func TestNewEmbeddedTemplates(t *testing.T) {
	r := MustNewRenderer(t)
	for _, typ := range station.DocumentTypes() {
		if len(r.pages[typ]) == 0 {
			t.Errorf("no template for %s", typ)
		}
	}
}

// TestNewRejects loads each broken template in testdata/templates (named
// by its failure mode) and checks the error names the file, the JSON path
// and the line.
func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		file string
		path string
		line int
		want string
	}{
		{"unknown-field.json", "elements[1].field", 7, `unknown field "nama_lengkap"`},
		{"unknown-format-field.json", "elements[0].format", 6, `unknown field "tgl_lahir"`},
		{"unbalanced-format.json", "elements[0].format", 6, "unbalanced {"},
		{"unknown-kind.json", "elements[2].kind", 8, `unknown element kind "barcode"`},
		{"unknown-font.json", "elements[0].font.family", 6, `unknown font "comic-sans"`},
		{"unknown-font-style.json", "elements[0].font.family", 6, `style "U"`},
		{"negative-width.json", "elements[0].w", 6, "w must be in [0, 1000] mm"},
		{"negative-font-size.json", "elements[0].font.size", 6, "size must be in (0, 144] pt"},
		{"min-size-above-size.json", "elements[0].font.min_size", 6, "min_size must be in (0, size]"},
		{"misspelt-key.json", "elements[0]", 6, `unknown field "requried"`},
		{"wrong-type.json", "elements[0].x", 7, "cannot unmarshal string"},
		{"unknown-image.json", "elements[0].image", 6, `unknown image "thumbprint"`},
		{"off-page.json", "elements[0]", 6, "extends past the 85.60×53.98 mm page"},
		{"label-overflow.json", "elements[0]", 6, `label "KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL": text does not fit`},
		{"label-outside-charset.json", "elements[0]", 6, "character 5 (U+2713) is outside the supported set"},
		{"unknown-overflow.json", "elements[0].overflow", 6, `unknown overflow "clip"`},
		{"table-without-rows.json", "elements[0].kind", 6, "no rows"},
		{"unknown-row-field.json", "elements[0].columns[1].field", 6, `unknown row field "no_telepon"`},
		{"table-past-page.json", "elements[0]", 6, "extends past the 210.00×297.00 mm page"},
		{"unmasked-name.json", "elements[1].mask", 7, `field "nama" identifies the citizen`},
		{"unmasked-member-name.json", "elements[0].columns[1].mask", 6, `row field "nama_ibu" identifies a family member`},
		{"syntax-error.json", "", 7, "invalid character ']'"},
		{"duplicate-key.json", "side", 4, "duplicate key"},
		{"unknown-document.json", "document", 2, `unknown document type "sim"`},
		{"unknown-top-key.json", "pages", 5, `unknown key "pages"`},
		{"missing-page.json", "page", 0, "page size is required"},
		{"qr-too-small.json", "elements[0].size", 6, "a QR needs at least 14.5 mm"},
		{"when-without-birth-date.json", "when", 4, "needs the fields tanggal_lahir and tanggal_terbit"},
		{"when-empty-range.json", "when", 4, "want 0 <= age_from < age_below"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "templates", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(withFonts(t, fstest.MapFS{tc.file: {Data: data}}))
			if !errors.Is(err, ErrTemplateInvalid) {
				t.Fatalf("err = %v, want %s", err, ErrTemplateInvalid.Code)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TemplateError cause", err)
			}
			if te.File != tc.file || te.Path != tc.path || te.Line != tc.line {
				t.Errorf("at %s:%d %q, want %s:%d %q", te.File, te.Line, te.Path, tc.file, tc.line, tc.path)
			}
			if !strings.Contains(te.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", te, tc.want)
			}
			if !strings.HasPrefix(te.Error(), tc.file) {
				t.Errorf("err = %v\ndoes not start with the file name", te)
			}
		})
	}
}

func TestNewRejectsDuplicateSide(t *testing.T) {
	data, err := fs.ReadFile(templates.FS, "ktp-el.front.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(withFonts(t, fstest.MapFS{"ktp-el.front.json": {Data: data}, "ktp-copy.json": {Data: data}}))
	var te *TemplateError
	if !errors.As(err, &te) || te.File != "ktp-el.front.json" || !strings.Contains(te.Error(), "already defined by ktp-copy.json") {
		t.Fatalf("err = %v, want kia front defined twice", err)
	}
}

func TestNewRejectsEmpty(t *testing.T) {
	if _, err := New(withFonts(t, fstest.MapFS{"README.md": {Data: []byte("no templates")}})); !errors.Is(err, ErrTemplateInvalid) {
		t.Fatalf("err = %v, want %s", err, ErrTemplateInvalid.Code)
	}
}

// TestNewPagesInSideOrder checks a back side renders as page 2 whatever
// the file names.
func TestNewPagesInSideOrder(t *testing.T) {
	front, err := fs.ReadFile(templates.FS, "ktp-el.front.json")
	if err != nil {
		t.Fatal(err)
	}
	back := []byte(`{"document": "ktp-el", "side": "back", "page": {"width": 85.6, "height": 53.98}, "elements": [
		{"kind": "text", "field": "pekerjaan", "x": 5, "y": 5, "w": 50, "h": 4, "font": {"family": "sans", "size": 7}}]}`)
	r, err := New(withFonts(t, fstest.MapFS{"a-ktp.back.json": {Data: back}, "b-ktp.front.json": {Data: front}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.pages[station.KTPEl]; len(got) != 2 || got[0].side != "front" || got[1].side != "back" {
		t.Fatalf("pages out of order")
	}
	out, err := r.Render(context.Background(), MustLoadSample(t, "ktp-el"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Pages != 2 {
		t.Errorf("Pages = %d, want 2", out.Pages)
	}
}

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		format string
		want   []string
		err    bool
	}{
		{"{nama}", []string{"nama"}, false},
		{"{tempat_lahir}, {tanggal_lahir}", []string{"tempat_lahir", "tanggal_lahir"}, false},
		{"PROVINSI {provinsi}", []string{"provinsi"}, false},
		{"no fields", nil, false},
		{"{}", []string{""}, false},
		{"{nama", nil, true},
		{"nama}", nil, true},
		{"{na{ma}", nil, true},
	} {
		got, err := placeholders(tc.format)
		if (err != nil) != tc.err || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("placeholders(%q) = %q, %v; want %q, error %v", tc.format, got, err, tc.want, tc.err)
		}
	}
}

func FuzzLoadTemplate(f *testing.F) {
	for _, name := range []string{"ktp-el.front.json", "kia.front.photo.json", "kk.json"} {
		data, err := fs.ReadFile(templates.FS, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := newCanvas(MustFonts(t), fixedDate())
		if err != nil {
			t.Fatal(err)
		}
		p, err := parseTemplate("fuzz.json", data, c)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.File != "fuzz.json" {
				t.Fatalf("error %v is not a *TemplateError naming the file", err)
			}
			return
		}
		// A template that loads must render a document that has every
		// field, without panicking; the text may still not fit.
		s, _ := SchemaOf(p.document)
		d := station.Document{Type: p.document, Fields: map[string]string{}, Rows: []map[string]string{{}}}
		for _, k := range s.Fields {
			d.Fields[k] = "X"
		}
		for _, k := range s.RowFields {
			d.Rows[0][k] = "X"
		}
		r := &Renderer{pages: map[station.DocumentType][]*page{p.document: {p}}, signer: MustSigner(t)}
		if _, err := r.Render(context.Background(), d); err != nil && !errors.Is(err, station.ErrRenderFailed) {
			t.Fatalf("render error %v is not render_failed", err)
		}
	})
}

func TestNewRejectsOverlappingVariants(t *testing.T) {
	under5, err := fs.ReadFile(templates.FS, "kia.front.under5.json")
	if err != nil {
		t.Fatal(err)
	}
	overlapping := bytes.Replace(under5, []byte(`"when": {"age_below": 5}`), []byte(`"when": {"age_below": 6}`), 1)
	photo, err := fs.ReadFile(templates.FS, "kia.front.photo.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(withFonts(t, fstest.MapFS{"a.json": {Data: photo}, "b.json": {Data: overlapping}}), WithSigner(MustSigner(t)))
	var te *TemplateError
	if !errors.As(err, &te) || te.File != "b.json" || te.Line != 3 || !strings.Contains(te.Error(), "kia front (age 0 to under 6) is already defined by a.json") {
		t.Fatalf("err = %v, want overlapping variants refused", err)
	}
}

func TestNewRejectsQRWithoutSigner(t *testing.T) {
	back, err := fs.ReadFile(templates.FS, "ktp-el.back.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(withFonts(t, fstest.MapFS{"ktp-el.back.json": {Data: back}}))
	var te *TemplateError
	if !errors.Is(err, ErrTemplateInvalid) || !errors.As(err, &te) || te.File != "ktp-el.back.json" || !strings.Contains(te.Error(), "no signer") {
		t.Fatalf("err = %v, want a template with a QR refused without a signer", err)
	}
}
