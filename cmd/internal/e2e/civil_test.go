package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// TestCivilDocumentsPrintOnPaper prints each civil-registry document
// through the kiosk, one visit per type on one system: the kiosk lists it
// with its spec's title, the paper printer prints it (A4), the output is
// the PDF the station hashed, and it is the document asked for.
func TestCivilDocumentsPrintOnPaper(t *testing.T) {
	sys := MustStart(t)
	for _, tc := range []struct {
		typ   station.DocumentType
		title string // what pdftotext finds on the page
	}{
		{"akta-kelahiran", "KUTIPAN AKTA KELAHIRAN"},
		{"akta-kematian", "KUTIPAN AKTA KEMATIAN"},
		{"akta-perkawinan", "KUTIPAN AKTA PERKAWINAN"},
		{"akta-perceraian", "KUTIPAN AKTA PERCERAIAN"},
		{"skpwni", "SURAT KETERANGAN PINDAH WARGA NEGARA INDONESIA"},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			spec, ok := station.SpecOf(tc.typ)
			if !ok {
				t.Fatalf("%s is not registered", tc.typ)
			}
			a := sys.MustApprove(t, string(tc.typ))
			v := printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
			if len(v.Documents) != 1 {
				t.Fatalf("%d documents listed, want 1", len(v.Documents))
			}
			d := v.Documents[0]
			if d.Type != string(tc.typ) || d.Title != spec.TitleID {
				t.Errorf("kiosk lists %q titled %q, want %q titled %q", d.Type, d.Title, tc.typ, spec.TitleID)
			}
			if d.Print == nil || d.Print.State != "printed" {
				t.Fatalf("print %+v, want printed", d.Print)
			}
			job, err := sys.Printers.Job(context.Background(), printerd.JobID(d.Print.Job))
			mustOK(t, err)
			if job.State != printerd.JobPrinted || job.Media != printerd.MediaA4 || job.CardSerial != "" {
				t.Errorf("job %s: state %s, media %s, card serial %q; want printed on A4 paper", job.ID, job.State, job.Media, job.CardSerial)
			}
			out := filepath.Join(sys.Var, "out", "paper", string(job.ID)+".pdf")
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("no paper output: %v", err)
			}
			if fmt.Sprintf("%x", sha256Sum(b)) != job.DocumentSHA256 {
				t.Errorf("output %s is not the submitted PDF", out)
			}
			if !sys.approvalStatus(t, a.ApprovalID).TokenBurned {
				t.Error("ticket not burned after the print")
			}
			if txt, err := exec.Command("pdftotext", out, "-").Output(); err == nil && !strings.Contains(string(txt), tc.title) {
				t.Errorf("the printed page does not say %q", tc.title)
			}
		})
	}
}
