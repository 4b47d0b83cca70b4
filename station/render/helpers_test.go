package render

import (
	"crypto/ed25519"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/ticket"
	"github.com/anjungan/anjungan/templates"
)

// testKey is a fixed upstream document key, so that golden PDFs are
// stable.
var testKey = ed25519.NewKeyFromSeed([]byte("anjungan-render-test-key-32bytes"))

// MustSigner returns a QR signer with testKey: the upstream's part.
func MustSigner(tb testing.TB) *docqr.Signer {
	tb.Helper()
	s, err := docqr.NewSigner(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// signed returns d with the QR the upstream would send for it, made
// from d as it is now (a test that changes d signs after the change).
// A document docqr cannot sign keeps no QR, and its render fails.
func signed(tb testing.TB, d station.Document) station.Document {
	tb.Helper()
	d.QR, _ = MustSigner(tb).Sign(d)
	return d
}

// testVerifier checks QRs signed with testKey.
func testVerifier() *docqr.Verifier {
	pub := testKey.Public().(ed25519.PublicKey)
	return &docqr.Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}
}

// MustFonts loads the embedded fonts.
func MustFonts(tb testing.TB) fontSet {
	tb.Helper()
	s, err := loadFonts(templates.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// withFonts adds the embedded font files to a test file system.
func withFonts(tb testing.TB, m fstest.MapFS) fstest.MapFS {
	tb.Helper()
	for _, f := range fontFiles {
		for _, ext := range []string{".json", ".z"} {
			name := fontDir + "/" + f.base + ext
			data, err := fs.ReadFile(templates.FS, name)
			if err != nil {
				tb.Fatal(err)
			}
			m[name] = &fstest.MapFile{Data: data}
		}
	}
	return m
}
