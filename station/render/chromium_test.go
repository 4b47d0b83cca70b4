package render

import (
	"bytes"
	"context"
	"html/template"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/anjungan/anjungan/station"
)

// kkHTML is the KK layout of templates/kk.json as an HTML page, the way
// many kiosks make their documents: a page printed to PDF by a browser.
var kkHTML = template.Must(template.New("kk").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><style>
@page { size: 210mm 297mm; margin: 0 }
body { margin: 0; font-family: "DejaVu Sans", sans-serif; font-size: 8pt }
.page { position: relative; width: 210mm; height: 297mm }
h1 { position: absolute; top: 12mm; width: 100%; text-align: center; font-size: 18pt; margin: 0 }
.no { position: absolute; top: 21mm; width: 100%; text-align: center; font-size: 12pt; font-weight: bold }
.info { position: absolute; top: 32mm; left: 10mm; width: 190mm; columns: 2 }
table { position: absolute; left: 10mm; width: 190mm; border-collapse: collapse; font-size: 6.5pt }
th { font-size: 6pt; height: 9mm } td { height: 5.2mm } th, td { border: 0.2mm solid #000; padding: 0 0.8mm }
.t1 { top: 58mm } .t2 { top: 150mm }
.foot { position: absolute; top: 241mm; left: 10mm; width: 150mm }
.qr { position: absolute; top: 246mm; left: 164mm; width: 36mm; height: 36mm }
</style></head><body><div class="page">
<h1>KARTU KELUARGA</h1><div class="no">No. {{.F.no_kk}}</div>
<div class="info">Nama Kepala Keluarga: {{.F.nama_kepala_keluarga}}<br>Alamat: {{.F.alamat}}<br>RT/RW: {{.F.rt_rw}}<br>
Desa/Kelurahan: {{.F.kel_desa}}<br>Kecamatan: {{.F.kecamatan}}<br>Kabupaten/Kota: {{.F.kabupaten_kota}}<br>Kode Pos: {{.F.kode_pos}}<br>Provinsi: {{.F.provinsi}}</div>
<table class="t1"><tr><th>No</th><th>Nama Lengkap</th><th>NIK</th><th>Jenis Kelamin</th><th>Tempat Lahir</th><th>Tanggal Lahir</th><th>Agama</th><th>Pendidikan</th><th>Jenis Pekerjaan</th></tr>
{{range $i, $r := .R}}<tr><td>{{$i}}</td><td>{{$r.nama}}</td><td>{{$r.nik}}</td><td>{{$r.jenis_kelamin}}</td><td>{{$r.tempat_lahir}}</td><td>{{$r.tanggal_lahir}}</td><td>{{$r.agama}}</td><td>{{$r.pendidikan}}</td><td>{{$r.pekerjaan}}</td></tr>
{{end}}</table>
<table class="t2"><tr><th>No</th><th>Status Perkawinan</th><th>Status Hubungan Dalam Keluarga</th><th>Kewarganegaraan</th><th>No. Paspor</th><th>No. KITAP</th><th>Nama Ayah</th><th>Nama Ibu</th></tr>
{{range $i, $r := .R}}<tr><td>{{$i}}</td><td>{{$r.status_perkawinan}}</td><td>{{$r.hubungan}}</td><td>{{$r.kewarganegaraan}}</td><td>{{$r.no_paspor}}</td><td>{{$r.no_kitap}}</td><td>{{$r.nama_ayah}}</td><td>{{$r.nama_ibu}}</td></tr>
{{end}}</table>
<div class="foot">Dikeluarkan Tanggal: {{.F.tanggal_terbit}}<br><br>KEPALA KELUARGA: {{.F.nama_kepala_keluarga}}<br>KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL: {{.F.pejabat}}</div>
<svg class="qr" viewBox="0 0 {{.N}} {{.N}}" shape-rendering="crispEdges"><rect width="{{.N}}" height="{{.N}}" fill="#fff"/>{{range .Q}}<rect x="{{index . 0}}" y="{{index . 1}}" width="{{index . 2}}" height="1"/>{{end}}</svg>
</div></body></html>`))

// kkPage fills kkHTML with d and its signed QR.
func kkPage(d station.Document, qrText string) (string, error) {
	code, err := qrcode.New(qrText, qrcode.Medium)
	if err != nil {
		return "", err
	}
	code.DisableBorder = true
	bm := code.Bitmap()
	var runs [][3]int
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			s := x
			for x < len(row) && row[x] {
				x++
			}
			runs = append(runs, [3]int{s + qrQuietModules, y + qrQuietModules, x - s})
		}
	}
	var b bytes.Buffer
	err = kkHTML.Execute(&b, map[string]any{"F": d.Fields, "R": d.Rows, "N": len(bm) + 2*qrQuietModules, "Q": runs})
	return b.String(), err
}

// BenchmarkRenderKKChromium renders the KK as an HTML page printed to PDF
// by headless Chromium (started once, outside the timing), and reports
// how many times slower that is than Render. The two alternate op by op
// (each op: ten fpdf renders, then one by Chromium), so both see the same
// load, and the ratio is of their medians: a few slow ops (a busy
// machine, Chromium's first pages) do not swing it.
// Each op takes ~0.2 s: run it with a fixed count (make bench uses
// -benchtime 30x) for a stable figure.
func BenchmarkRenderKKChromium(b *testing.B) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" {
			b.Fatal("chromium is needed (apt-get install chromium)")
		}
		b.Skip("chromium is not installed (apt-get install chromium)")
	}
	r := MustNewRenderer(b)
	d := signed(b, MustLoadSample(b, "kk")) // the upstream's QR, as the kiosk gets it

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(b.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 5*time.Minute) // only stops a hung browser
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.Fatal(err)
	}
	tree, err := chromedp.Call(ctx, cdppage.GetFrameTree, cdp.Empty{})
	if err != nil {
		b.Fatal(err)
	}
	frame := tree.FrameTree.Frame.ID
	yes := true

	var ours, theirs []time.Duration
	for b.Loop() {
		// Chromium goes on working a while after it answers (measured:
		// fpdf right after it takes twice as long): let it settle, then
		// a burst of fpdf renders.
		time.Sleep(100 * time.Millisecond)
		for range 10 {
			start := time.Now()
			if _, err := r.Render(context.Background(), d); err != nil {
				b.Fatal(err)
			}
			ours = append(ours, time.Since(start))
		}
		mid := time.Now()
		// The same work as Render: lay out the upstream's QR and the data, make the PDF.
		html, err := kkPage(d, d.QR)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, cdppage.SetDocumentContent, cdppage.SetDocumentContentParams{FrameID: frame, HTML: html}); err != nil {
			b.Fatal(err)
		}
		res, err := chromedp.Call(ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.HasPrefix(res.Data, []byte("%PDF-")) {
			b.Fatal("Chromium returned no PDF")
		}
		theirs = append(theirs, time.Since(mid))
	}
	perOurs, perChromium := median(ours), median(theirs)
	b.ReportMetric(float64(perOurs.Microseconds())/1000, "ms-fpdf-p50")
	b.ReportMetric(float64(perChromium.Microseconds())/1000, "ms-chromium-p50")
	b.ReportMetric(float64(perChromium)/float64(perOurs), "x-slower-than-fpdf")
	b.Logf("%d ops: Chromium %v per KK, fpdf %v (medians): ratio %.1f", len(theirs), perChromium, perOurs, float64(perChromium)/float64(perOurs))
}

// median sorts d and returns its middle value.
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
