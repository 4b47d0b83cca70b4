package docqr

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/base45"
)

func kk() station.Document {
	return station.Document{
		Type:   station.KK,
		Fields: map[string]string{"no_kk": "3174010101090001", "nama_kepala_keluarga": "BUDI SANTOSO", "tanggal_terbit": "02-03-2026"},
		Rows:   []map[string]string{{"nama": "BUDI SANTOSO", "nik": "3174011708850003"}, {"nama": "SITI AMINAH", "nik": "3174014508870002"}},
	}
}

// signedBy returns d with the QR the upstream holding k makes for it.
func signedBy(tb testing.TB, k []byte, d station.Document) station.Document {
	tb.Helper()
	var err error
	if d.QR, err = MustSigner(tb, k).Sign(d); err != nil {
		tb.Fatal(err)
	}
	return d
}

// claimed returns d with a QR whose claims are d's changed by change,
// the content hash left intact.
func claimed(tb testing.TB, d station.Document, change func(*Claims)) station.Document {
	tb.Helper()
	c, err := ClaimsOf(d)
	if err != nil {
		tb.Fatal(err)
	}
	change(&c)
	if d.QR, err = MustSigner(tb, key).SignClaims(c); err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestVerifyDocument: the kiosk prints a document only when its QR is the
// upstream's signature over exactly its data. Each refusal names its
// reason in the cause, never a value.
func TestVerifyDocument(t *testing.T) {
	flipSignature := func(d station.Document) station.Document {
		raw, err := base45.Decode(d.QR[len(Prefix):])
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)-1] ^= 1
		d.QR = Prefix + base45.Encode(raw)
		return d
	}
	altered := func(d station.Document, f func(*station.Document)) station.Document {
		d.Fields = maps.Clone(d.Fields)
		rows := make([]map[string]string, len(d.Rows))
		for i, r := range d.Rows {
			rows[i] = maps.Clone(r)
		}
		d.Rows = rows
		f(&d)
		return d
	}
	for _, tc := range []struct {
		name  string
		doc   station.Document
		cause string // "" when it verifies
	}{
		{"ktp-el as signed", signedBy(t, key, ktp()), ""},
		{"kk as signed", signedBy(t, key, kk()), ""},
		{"field changed after signing", altered(signedBy(t, key, ktp()), func(d *station.Document) { d.Fields["alamat"] = "JL. LAIN NO. 2" }), "content hash differs"},
		{"field added after signing", altered(signedBy(t, key, ktp()), func(d *station.Document) { d.Fields["pekerjaan"] = "PETANI" }), "content hash differs"},
		{"member changed after signing", altered(signedBy(t, key, kk()), func(d *station.Document) { d.Rows[1]["nama"] = "SITI AMINA" }), "content hash differs"},
		{"photo changed after signing", func() station.Document {
			d := signedBy(t, key, ktp())
			d.Images = map[string][]byte{"photo": []byte("other jpeg bytes")}
			return d
		}(), "content hash differs"},
		{"name claim differs", claimed(t, ktp(), func(c *Claims) { c.Name += " ALIAS" }), "claim 3"},
		{"number claim differs", claimed(t, ktp(), func(c *Claims) { c.Number = "3174011708850004" }), "claim 2"},
		{"issue date claim differs", claimed(t, ktp(), func(c *Claims) { c.Issued = "13-08-2024" }), "claim 4"},
		{"type claim differs", claimed(t, ktp(), func(c *Claims) { c.Type = station.KIA }), "QR is for a kia"},
		{"kk head claim differs", claimed(t, kk(), func(c *Claims) { c.Name = "SITI AMINAH" }), "claim 3"},
		{"bad signature", flipSignature(signedBy(t, key, ktp())), "signature"},
		{"unknown kid", signedBy(t, otherKey, ktp()), "unknown kid"},
		{"no QR", ktp(), "missing DQ1: prefix"},
		{"a ticket instead", func() station.Document { d := signedBy(t, key, ktp()); d.QR = "TK1:" + d.QR[4:]; return d }(), "missing DQ1: prefix"},
		{"another document's QR", func() station.Document { d := ktp(); d.QR = signedBy(t, key, kk()).QR; return d }(), "QR is for a kk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifierFor(key).VerifyDocument(tc.doc)
			if tc.cause == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, station.ErrDocumentSignatureInvalid) || fault.CodeOf(err) != "document_signature_invalid" {
				t.Fatalf("err = %v, want document_signature_invalid", err)
			}
			if !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("cause %q, want it to say %q", err, tc.cause)
			}
			for _, v := range []string{"JOSÉ", "BUDI", "3174011708850003"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the error quotes %q: %v", v, err)
				}
			}
		})
	}
}

// TestVerifyDocumentAcceptsOldKeys: a verifier pinning the old and the
// new upstream key takes documents signed with either (a rotation).
func TestVerifyDocumentAcceptsOldKeys(t *testing.T) {
	v := verifierFor(key, otherKey)
	for _, k := range [][]byte{key, otherKey} {
		if err := v.VerifyDocument(signedBy(t, k, kk())); err != nil {
			t.Errorf("refused: %v", err)
		}
	}
}
