package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/templates"
)

var update = flag.Bool("update", false, "rewrite the golden PDFs testdata/<sample>.pdf")

// sample is a document as the test inputs in testdata/*.json hold it:
// images are file names in testdata.
type sample struct {
	Type    station.DocumentType `json:"type"`
	Subject string               `json:"subject"`
	Fields  map[string]string    `json:"fields"`
	Rows    []map[string]string  `json:"rows"`
	Images  map[string]string    `json:"images"`
}

// MustLoadSample reads testdata/<name>.json into a document.
func MustLoadSample(tb testing.TB, name string) station.Document {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var s sample
	if err := json.Unmarshal(data, &s); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	d := station.Document{
		Request: station.RequestID("REQ-" + name),
		Type:    s.Type,
		Subject: station.MustParseNIK(s.Subject),
		Fields:  s.Fields,
		Rows:    s.Rows,
		Images:  map[string][]byte{},
	}
	for k, file := range s.Images {
		img, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			tb.Fatal(err)
		}
		d.Images[k] = img
	}
	return d
}

// MustNewRenderer loads the embedded templates.
func MustNewRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	r, err := New(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// MustRender renders d and checks the hash it reports.
func MustRender(tb testing.TB, r *Renderer, d station.Document) station.Rendered {
	tb.Helper()
	out, err := r.Render(context.Background(), signed(tb, d))
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(out.PDF)
	if got := hex.EncodeToString(sum[:]); got != out.SHA256 {
		tb.Fatalf("SHA256 = %s, PDF hashes to %s", out.SHA256, got)
	}
	return out
}

// peer returns the path of a real tool the test talks to. When it is not
// installed the test is skipped, or fails under ANJUNGAN_REQUIRE_PEERS=1.
func peer(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s not on PATH and ANJUNGAN_REQUIRE_PEERS=1 (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s not on PATH: skipping (apt-get install %s; set ANJUNGAN_REQUIRE_PEERS=1 to fail instead)", name, pkg)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %v: %v: %s", name, args, err, ee.Stderr)
		}
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

var (
	pageSizeRE = regexp.MustCompile(`Page +\d+ size:\s+([0-9.]+) x ([0-9.]+) pts`)
	pagesRE    = regexp.MustCompile(`Pages:\s+(\d+)\n`)
)

// sampleCases are the golden documents: together they use every template.
var sampleCases = []struct {
	sample       string
	pages        int
	wantW, wantH float64 // page size, pt
	wantImages   int
}{
	{"ktp-el", 2, 242.65, 153.01, 2},
	{"ktp-el-long-name", 2, 242.65, 153.01, 2},
	{"kia", 2, 242.65, 153.01, 1},
	{"kia-under-five", 2, 242.65, 153.01, 0},
	{"kk", 2, 841.89, 595.28, 0}, // 12 members: 10 a page, A4 landscape
	{"akta-kelahiran", 1, 595.28, 841.89, 0},
	{"akta-kelahiran-bounds", 1, 595.28, 841.89, 0},
	{"akta-kematian", 1, 595.28, 841.89, 0},
	{"akta-kematian-bounds", 1, 595.28, 841.89, 0},
	{"akta-perkawinan", 1, 595.28, 841.89, 0},
	{"akta-perkawinan-bounds", 1, 595.28, 841.89, 0},
	{"akta-perceraian", 1, 595.28, 841.89, 0},
	{"akta-perceraian-bounds", 1, 595.28, 841.89, 0},
	{"skpwni", 1, 595.28, 841.89, 0},
	{"skpwni-bounds", 1, 595.28, 841.89, 0},
}

func TestRenderSamples(t *testing.T) {
	r := MustNewRenderer(t)
	for _, tc := range sampleCases {
		t.Run(tc.sample, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			out := MustRender(t, r, d)
			if out.Pages != tc.pages {
				t.Errorf("Pages = %d, want %d", out.Pages, tc.pages)
			}
			again := MustRender(t, r, d)
			if !bytes.Equal(out.PDF, again.PDF) {
				t.Fatal("two renders of the same document differ")
			}
			if n := bytes.Count(out.PDF, []byte("/Subtype /Image")); n != tc.wantImages {
				t.Errorf("%d images in the PDF, want %d", n, tc.wantImages)
			}

			golden := filepath.Join("testdata", tc.sample+".pdf")
			if *update {
				if err := os.WriteFile(golden, out.PDF, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(out.PDF, want) {
				t.Errorf("PDF differs from %s (if the change is intended, run go test -update and review the PDFs)", golden)
			}

			file := filepath.Join(t.TempDir(), tc.sample+".pdf")
			if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Run("pdfinfo", func(t *testing.T) {
				checkPages(t, file, tc.pages, tc.wantW, tc.wantH)
			})
			t.Run("pdffonts", func(t *testing.T) {
				checkFontsEmbedded(t, run(t, peer(t, "pdffonts", "poppler-utils"), file))
			})
			t.Run("pdftotext", func(t *testing.T) {
				checkText(t, file, d)
			})
			t.Run("qr", func(t *testing.T) {
				checkQR(t, out.PDF, out.Pages, d)
			})
		})
	}
}

// checkPages checks with pdfinfo that the PDF has pages pages, each
// wantW × wantH pt (to 0.1 mm): size and orientation.
func checkPages(t *testing.T, file string, pages int, wantW, wantH float64) {
	t.Helper()
	info := run(t, peer(t, "pdfinfo", "poppler-utils"), "-l", "99", file)
	if m := pagesRE.FindStringSubmatch(info); m == nil || m[1] != strconv.Itoa(pages) {
		t.Errorf("pdfinfo does not report %d pages:\n%s", pages, info)
	}
	sizes := pageSizeRE.FindAllStringSubmatch(info, -1)
	if len(sizes) != pages {
		t.Fatalf("%d page sizes in pdfinfo output, want %d:\n%s", len(sizes), pages, info)
	}
	for _, m := range sizes {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		const tol = 0.1 / mmPerPt // 0.1 mm in pt
		if abs(w-wantW) > tol || abs(h-wantH) > tol {
			t.Errorf("page %.2f × %.2f pt, want %.2f × %.2f pt", w, h, wantW, wantH)
		}
	}
}

// checkFontsEmbedded checks every font pdffonts lists is embedded: the
// "emb" column is the fifth from the right (name type encoding emb sub
// uni object ID).
func checkFontsEmbedded(t *testing.T, list string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) < 3 {
		t.Fatalf("no fonts in pdffonts output:\n%s", list)
	}
	for _, ln := range lines[2:] {
		f := strings.Fields(ln)
		if len(f) < 7 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", ln)
		}
	}
}

// checkText checks pdftotext finds every value of d in the PDF.
func checkText(t *testing.T, file string, d station.Document) {
	t.Helper()
	// -raw keeps content-stream order, so a wrapped value's lines stay
	// together; white space is compared collapsed.
	text := collapse(run(t, peer(t, "pdftotext", "poppler-utils"), "-raw", "-enc", "UTF-8", file, "-"))
	check := func(where, v string) {
		if !strings.Contains(text, collapse(v)) {
			t.Errorf("%s: value not in the extracted text", where)
		}
	}
	for k, v := range d.Fields {
		if notPrinted(d.Type, k) {
			continue
		}
		check("field "+k, v)
	}
	for i, row := range d.Rows {
		for k, v := range row {
			check("row "+strconv.Itoa(i+1)+" field "+k, v)
		}
	}
	if t.Failed() {
		t.Logf("extracted text:\n%s", text)
	}
}

// checkQR rasterises the PDF at 300 dpi, decodes the QR with zbarimg and
// checks it is the upstream's text for d, verbatim, and verifies against
// the upstream's key.
func checkQR(t *testing.T, pdf []byte, pages int, d station.Document) {
	t.Helper()
	zbarimg := peer(t, "zbarimg", "zbar-tools")
	peer(t, "pdftoppm", "poppler-utils")
	pngs, err := preview(t, pdf, pages, 300)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var texts []string
	for i, png := range pngs {
		file := filepath.Join(dir, "page-"+strconv.Itoa(i+1)+".png")
		if err := os.WriteFile(file, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbarimg, "--quiet", "--raw", file).Output()
		if err != nil {
			continue // exit status 4: no code on this page
		}
		// One code per line; base45 has spaces, so split on newlines only.
		for _, ln := range strings.Split(string(out), "\n") {
			if ln != "" {
				texts = append(texts, ln)
			}
		}
	}
	if len(texts) != 1 {
		t.Fatalf("%d QR codes decoded, want 1", len(texts))
	}
	if want := signed(t, d).QR; texts[0] != want {
		t.Errorf("scanned QR %q, want the upstream's text %q", texts[0], want)
	}
	c, err := testVerifier().Verify(texts[0])
	if err != nil {
		t.Fatalf("scanned QR does not verify: %v", err)
	}
	hash, err := docqr.ContentHash(d)
	if err != nil {
		t.Fatal(err)
	}
	num, name := d.Fields["nik"], d.Fields["nama"]
	if d.Type == station.KK {
		num, name = d.Fields["no_kk"], d.Fields["nama_kepala_keluarga"]
	}
	if spec, ok := station.SpecOf(d.Type); ok {
		num, name = d.Fields[spec.QR.Number], d.Fields[spec.QR.Name]
	}
	if c.Type != d.Type || c.Number != num || c.Name != name || c.Issued != d.Fields["tanggal_terbit"] || !bytes.Equal(c.ContentHash, hash) {
		t.Errorf("QR claims do not match the document")
	}
}

// notPrinted reports whether field is data no template of t prints: the
// parents' NIKs on an akta kelahiran tie it to a parent who asks for it,
// and the kutipan names the parents only.
func notPrinted(t station.DocumentType, field string) bool {
	return t == "akta-kelahiran" && (field == "nik_ayah" || field == "nik_ibu")
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestRenderFailures(t *testing.T) {
	r := MustNewRenderer(t)
	const secret = "RAHASIA" // put into values that must never reach an error
	for _, tc := range []struct {
		name   string
		sample string
		change func(d *station.Document)
		want   string // in the cause
	}{
		{"required photo missing", "ktp-el", func(d *station.Document) { delete(d.Images, "photo") },
			`ktp-el.front.json: elements[45] (image "photo"): required image is missing`},
		{"photo not an image", "ktp-el", func(d *station.Document) { d.Images["photo"] = []byte("GIF89a " + secret) },
			"neither PNG nor JPEG"},
		{"photo truncated", "ktp-el", func(d *station.Document) { d.Images["photo"] = d.Images["photo"][:200] },
			`image "photo"`},
		{"field missing", "ktp-el", func(d *station.Document) { delete(d.Fields, "agama") },
			`field "agama" is missing`},
		{"name cannot fit", "ktp-el", func(d *station.Document) {
			d.Fields["nama"] = strings.Repeat(secret+" ", 20)
		}, `text field "nama"): text does not fit its 40.60×3.30 mm box at 4.0–6.0 pt (overflow shrink-wrap)`},
		{"NIK cannot fit one line", "ktp-el", func(d *station.Document) {
			d.Fields["nik"] = strings.Repeat("3174011708850003", 2)
		}, `text field "nik"): text does not fit its 39.80×3.80 mm box at 8.0–10.0 pt (overflow shrink)`},
		{"character outside cp1252", "ktp-el", func(d *station.Document) { d.Fields["nama"] = secret + " ŁUKASZ" },
			`text field "nama"): character 9 (U+0141) is outside the supported set (Windows-1252)`},
		{"control character", "kia", func(d *station.Document) { d.Fields["alamat"] = secret + "\nJL. X" },
			`text field "alamat"): character 8 (U+000A)`},
		{"invalid UTF-8", "kk", func(d *station.Document) { d.Rows[3]["nama"] = secret + "\xff" },
			`table): columns[1] (field "nama") row 4: invalid UTF-8 at character 8`},
		{"too many KK members", "kk", func(d *station.Document) {
			for len(d.Rows) < 51 {
				d.Rows = append(d.Rows, d.Rows[0])
			}
		}, "51 rows, the template holds at most 50"},
		{"KK row field missing", "kk", func(d *station.Document) { delete(d.Rows[2], "hubungan") },
			`row 3: field "hubungan" is missing`},
		{"unknown document type", "ktp-el", func(d *station.Document) { d.Type = "sim" },
			`no template for document type "sim"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			tc.change(&d)
			_, err := r.Render(context.Background(), signed(t, d))
			if !errors.Is(err, station.ErrRenderFailed) {
				t.Fatalf("err = %v, want %s", err, station.ErrRenderFailed.Code)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("err holds a document value: %v", err)
			}
		})
	}
}

// TestRenderFormatNotExpandedTwice checks that a value which looks like a
// placeholder is printed as it is.
func TestRenderFormatNotExpandedTwice(t *testing.T) {
	pdftotext := peer(t, "pdftotext", "poppler-utils")
	r := MustNewRenderer(t)
	d := MustLoadSample(t, "ktp-el")
	d.Fields["tempat_lahir"] = "{tanggal_lahir}"
	out := MustRender(t, r, d)
	file := filepath.Join(t.TempDir(), "format.pdf")
	if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
		t.Fatal(err)
	}
	text := run(t, pdftotext, "-raw", "-enc", "UTF-8", file, "-")
	if !strings.Contains(text, "{tanggal_lahir}, 17-08-1985") {
		t.Errorf("place and date of birth not printed as given:\n%s", text)
	}
}

func TestRenderCanceled(t *testing.T) {
	r := MustNewRenderer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Render(ctx, signed(t, MustLoadSample(t, "ktp-el")))
	if !errors.Is(err, station.ErrRenderFailed) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want render_failed caused by context.Canceled", err)
	}
}

// TestRenderAccents checks that letters of Windows-1252 beyond ASCII are
// drawn, not replaced.
func TestRenderAccents(t *testing.T) {
	pdftotext := peer(t, "pdftotext", "poppler-utils")
	r := MustNewRenderer(t)
	d := MustLoadSample(t, "ktp-el")
	d.Fields["nama"] = "JOSÉ MARÍA DA COSTA ÑOÑO"
	out := MustRender(t, r, d)
	file := filepath.Join(t.TempDir(), "accents.pdf")
	if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
		t.Fatal(err)
	}
	text := run(t, pdftotext, "-raw", "-enc", "UTF-8", file, "-")
	if !strings.Contains(text, d.Fields["nama"]) {
		t.Errorf("accented name not in the extracted text:\n%s", text)
	}
}

// TestRenderConcurrent renders different documents at once; run with -race.
func TestRenderConcurrent(t *testing.T) {
	r := MustNewRenderer(t)
	samples := []string{"ktp-el", "kia", "kk", "ktp-el-long-name"}
	want := map[string]string{}
	docs := map[string]station.Document{}
	for _, s := range samples {
		docs[s] = MustLoadSample(t, s)
		want[s] = MustRender(t, r, docs[s]).SHA256
	}
	errs := make(chan error, 4*len(samples))
	for range 4 {
		for _, s := range samples {
			go func() {
				out, err := r.Render(context.Background(), signed(t, docs[s]))
				if err == nil && out.SHA256 != want[s] {
					err = errors.New(s + ": hash differs under concurrency")
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(samples) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkRender renders each document type with its sample data
// (QR by go-qrcode), alternating op by op with the anchor: the least PDF
// fpdf makes with the same fonts (one page, one line of text), what any
// document costs before its layout. It reports both times and the ratio.
// The KK also at 10 members (one page) and 30 (three pages); the akta
// kelahiran stands for the A4 kutipan of the civil register.
func BenchmarkRender(b *testing.B) {
	r := MustNewRenderer(b)
	docs := map[string]station.Document{"kk-10": kkOf(b, 10), "kk-30": kkOf(b, 30)}
	for _, sample := range []string{"ktp-el", "kia", "kk", "kk-10", "kk-30", "akta-kelahiran"} {
		d, ok := docs[sample]
		if !ok {
			d = MustLoadSample(b, sample)
		}
		d = signed(b, d) // the kiosk gets the QR from the upstream
		b.Run(sample, func(b *testing.B) {
			b.ReportAllocs()
			var ours, anchor time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := r.Render(context.Background(), d); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if err := leastPDF(r.fonts); err != nil {
					b.Fatal(err)
				}
				ours += mid.Sub(start)
				anchor += time.Since(mid)
			}
			b.ReportMetric(float64(ours.Microseconds())/1000/float64(b.N), "ms-render/op")
			b.ReportMetric(float64(anchor.Microseconds())/1000/float64(b.N), "ms-anchor/op")
			b.ReportMetric(float64(ours)/float64(anchor), "x-of-anchor")
		})
	}
}

// leastPDF makes the anchor of BenchmarkRender.
func leastPDF(fonts fontSet) error {
	c, err := newCanvas(fonts, fixedDate())
	if err != nil {
		return err
	}
	c.pdf.AddPageFormat("P", fpdf.SizeType{Wd: 85.6, Ht: 53.98})
	f := fonts.defs[0]
	c.pdf.SetFont(f.family, f.style, 10)
	c.pdf.CellFormat(50, 5, "PROVINSI", "", 0, "L", false, 0, "")
	return c.pdf.Output(io.Discard)
}
