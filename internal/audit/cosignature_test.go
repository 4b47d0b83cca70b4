package audit_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/internal/audit"
)

func TestCosignature(t *testing.T) {
	skey, vkey, err := audit.GenerateWitnessKey("hub.example/witness", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := audit.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	body := "anjungan.k1/station/audit\n10\n" + strings.Repeat("A", 43) + "=\n"
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	line := c.Cosign(body, at)
	if !strings.HasPrefix(line, "\u2014 hub.example/witness ") || !strings.HasSuffix(line, "\n") {
		t.Fatalf("line %q", line)
	}
	got, err := audit.VerifyCosignature(body, line, vkey)
	if err != nil || !got.Equal(at) {
		t.Fatalf("verify: %v %v", got, err)
	}
	_, otherV, _ := audit.GenerateWitnessKey("hub.example/witness", rand.Reader)
	_, renamedV, _ := audit.GenerateWitnessKey("other/witness", rand.Reader)
	for name, c := range map[string]struct{ body, line, vkey string }{
		"body-changed":      {strings.Replace(body, "10", "11", 1), line, vkey},
		"other-key":         {body, line, otherV},
		"other-name":        {body, line, renamedV},
		"signature-flipped": {body, line[:len(line)-6] + "AAAA=\n", vkey},
		"no-newline":        {body, strings.TrimSuffix(line, "\n"), vkey},
		"vkey-garbled":      {body, line, vkey[:len(vkey)-4]},
	} {
		if _, err := audit.VerifyCosignature(c.body, c.line, c.vkey); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if _, err := audit.NewCosigner(vkey); err == nil {
		t.Error("a vkey made a cosigner")
	}
}
