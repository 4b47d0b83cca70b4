package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/cmd/internal/registrysim"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
)

// TestDocumentNotAsSignedIsRefused: the station holds no document key;
// the upstream signs each document's QR. A document whose data, claims,
// signature or key do not match what the upstream signed is refused with
// document_signature_invalid before anything reaches printerd, and the
// ticket stays valid: once the upstream serves the document as signed,
// the same ticket prints it.
func TestDocumentNotAsSignedIsRefused(t *testing.T) {
	sys := MustStart(t)
	ctx := context.Background()
	for _, kind := range []registrysim.FaultKind{
		registrysim.FaultDocumentAltered,
		registrysim.FaultDocumentClaim,
		registrysim.FaultDocumentBadSignature,
		registrysim.FaultDocumentUnknownKey,
	} {
		t.Run(string(kind), func(t *testing.T) {
			a := sys.MustApprove(t, "kk")
			before, err := sys.Printers.ListJobs(ctx, printerd.JobFilter{})
			mustOK(t, err)
			mustOK(t, sys.Registry.InjectFault(registrysim.Fault{Route: registrysim.RouteDocument, Kind: kind}))
			c := sys.NewCitizen(t)
			var v sessionView
			mustStatus(t, c.call("POST", "/api/login/ticket", map[string]string{"ticket": a.Ticket}, &v), http.StatusCreated)
			var p struct {
				Error *apiError `json:"error"`
			}
			if st := c.call("POST", "/api/prepare", map[string]string{"request_id": v.Documents[0].RequestID}, &p); st != http.StatusBadGateway || p.Error == nil || p.Error.Code != "document_signature_invalid" {
				t.Fatalf("prepare a document not as signed: %d %+v, want 502 document_signature_invalid", st, p.Error)
			}
			if st := c.call("POST", "/api/print", map[string]string{"request_id": v.Documents[0].RequestID}, &p); st == http.StatusAccepted {
				t.Fatalf("print a document not as signed: accepted")
			}
			after, err := sys.Printers.ListJobs(ctx, printerd.JobFilter{})
			mustOK(t, err)
			if len(after) != len(before) {
				t.Fatalf("printerd has %d jobs, had %d: a document not as signed reached it", len(after), len(before))
			}
			mustStatus(t, c.call("POST", "/api/session/logout", nil, nil), http.StatusNoContent)
			if sys.approvalStatus(t, a.ApprovalID).TokenBurned {
				t.Fatal("the ticket was burned by a refused document")
			}

			sys.Registry.ClearFaults()
			v = printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
			if p := v.Documents[0].Print; p == nil || p.State != "printed" {
				t.Fatalf("the same ticket once the document is as signed: %+v, want printed", p)
			}
		})
	}
}

// TestPrintedQRVerifiesAgainstTheUpstream: the QR on a KK printed through
// the kiosk, read off the page by zbarimg, verifies against the
// upstream's published document key, and names the printed KK.
func TestPrintedQRVerifiesAgainstTheUpstream(t *testing.T) {
	sys := MustStart(t)
	a := sys.MustApprove(t, "kk")
	v := printAll(t, sys.NewCitizen(t), "/api/login/ticket", map[string]string{"ticket": a.Ticket})
	job, err := sys.Printers.Job(context.Background(), printerd.JobID(v.Documents[0].Print.Job))
	mustOK(t, err)
	pdf := filepath.Join(sys.Var, "out", "paper", string(job.ID)+".pdf")
	dir := t.TempDir()
	if out, err := exec.Command("pdftoppm", "-r", "200", "-png", pdf, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "*.png"))
	mustOK(t, err)
	var text string
	for _, p := range pages {
		out, err := exec.Command("zbarimg", "--quiet", "--raw", p).Output()
		if err == nil && strings.HasPrefix(string(out), "DQ1:") {
			text = strings.TrimSpace(string(out))
		}
	}
	if text == "" {
		t.Fatalf("no document QR found on %d pages of %s", len(pages), pdf)
	}
	keys, err := ticket.LoadKeySet(filepath.Join(sys.Var, "keys", "upstream-document.pub"))
	mustOK(t, err)
	claims, err := (&docqr.Verifier{Keys: keys}).Verify(text)
	if err != nil {
		t.Fatalf("the printed QR does not verify against the upstream's key: %v", err)
	}
	if claims.Type != "kk" {
		t.Errorf("the QR claims a %s", claims.Type)
	}
	if _, err := os.Stat(filepath.Join(sys.Var, "keys", "document.key")); err == nil {
		t.Error("the test kiosk has a document key")
	}
}
