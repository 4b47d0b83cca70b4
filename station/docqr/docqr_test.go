package docqr

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"github.com/anjungan/anjungan/station/base45"
	"strings"
	"testing"

	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/ticket"
)

var (
	key      = ed25519.NewKeyFromSeed([]byte("anjungan-docqr-test-key-32-bytes"))
	otherKey = ed25519.NewKeyFromSeed([]byte("anjungan-docqr-other-key-32bytes"))
)

func verifierFor(keys ...ed25519.PrivateKey) *Verifier {
	v := &Verifier{Keys: ticket.KeySet{}}
	for _, k := range keys {
		pub := k.Public().(ed25519.PublicKey)
		v.Keys[ticket.KeyID(pub)] = pub
	}
	return v
}

// MustSigner returns a signer for k.
func MustSigner(tb testing.TB, k ed25519.PrivateKey) *Signer {
	tb.Helper()
	s, err := NewSigner(k)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func ktp() station.Document {
	return station.Document{
		Type: station.KTPEl,
		Fields: map[string]string{
			"nik": "3174011708850003", "nama": "JOSÉ D'ALMEIDA", "tanggal_terbit": "12-08-2024",
			"alamat": "JL. MERDEKA NO. 1",
		},
		Images: map[string][]byte{"photo": []byte("jpeg bytes")},
	}
}

// mustSign signs payload bytes with arbitrary headers, for hostile inputs.
func mustSign(tb testing.TB, k ed25519.PrivateKey, protected cose.ProtectedHeader, payload []byte) string {
	tb.Helper()
	s, err := cose.NewSigner(cose.AlgorithmEdDSA, k)
	if err != nil {
		tb.Fatal(err)
	}
	msg := cose.UntaggedSign1Message{Headers: cose.Headers{Protected: protected}, Payload: payload}
	if err := msg.Sign(nil, nil, s); err != nil {
		tb.Fatal(err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		tb.Fatal(err)
	}
	return Prefix + base45.Encode(raw)
}

func TestSignVerify(t *testing.T) {
	s := MustSigner(t, key)
	for _, d := range []station.Document{
		ktp(),
		{Type: station.KK, Fields: map[string]string{"no_kk": "3374121505150007", "nama_kepala_keluarga": "SUGENG", "tanggal_terbit": "20-01-2025"},
			Rows: []map[string]string{{"nama": "SUGENG"}, nil}},
	} {
		text, err := s.Sign(d)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.Sign(d)
		if again != text {
			t.Error("two signatures of one document differ")
		}
		c, err := verifierFor(otherKey, key).Verify(text)
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := ContentHash(d)
		if c.Type != d.Type || c.Issued != d.Fields["tanggal_terbit"] || !bytes.Equal(c.ContentHash, hash) || c.KeyID != s.KeyID() {
			t.Errorf("claims %+v do not match", c)
		}
		// Number and name are the fields the type's spec names (station.DocumentSpec.QR).
		spec, _ := station.SpecOf(d.Type)
		if c.Number != d.Fields[spec.QR.Number] || c.Name != d.Fields[spec.QR.Name] || c.Number == "" {
			t.Errorf("claims number %q, name %q; want %s and %s", c.Number, c.Name, spec.QR.Number, spec.QR.Name)
		}
	}
}

func TestContentHashCoversEverything(t *testing.T) {
	base, _ := ContentHash(ktp())
	for name, change := range map[string]func(d *station.Document){
		"field":     func(d *station.Document) { d.Fields["alamat"] = "JL. MERDEKA NO. 2" },
		"new field": func(d *station.Document) { d.Fields["agama"] = "ISLAM" },
		"image":     func(d *station.Document) { d.Images["photo"] = []byte("other") },
		"type":      func(d *station.Document) { d.Type = station.KIA },
		"row":       func(d *station.Document) { d.Rows = []map[string]string{{}} },
	} {
		d := ktp()
		change(&d)
		if h, _ := ContentHash(d); bytes.Equal(h, base) {
			t.Errorf("%s: content hash unchanged", name)
		}
	}
	// An absent image and an empty one are the same document.
	d := ktp()
	d.Images["signature"] = nil
	if h, _ := ContentHash(d); !bytes.Equal(h, base) {
		t.Error("an empty image changed the hash")
	}
}

func TestVerifyRejects(t *testing.T) {
	good, err := MustSigner(t, key).Sign(ktp())
	if err != nil {
		t.Fatal(err)
	}
	kid := func(k ed25519.PrivateKey) []byte {
		b, _ := hex.DecodeString(ticket.KeyID(k.Public().(ed25519.PublicKey)))
		return b
	}
	hdr := cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid(key)}
	payload := func(m map[int]any) []byte {
		b, err := detEnc.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hash := bytes.Repeat([]byte{1}, 32)
	valid := map[int]any{1: "ktp-el", 2: "3174011708850003", 3: "X", 4: "01-01-2024", 5: hash}
	with := func(k int, v any) map[int]any {
		m := map[int]any{}
		for a, b := range valid {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"no prefix", good[len(Prefix):], "missing DQ1: prefix"},
		{"ticket prefix", "TK1:" + good[len(Prefix):], "missing DQ1: prefix"},
		{"too long", Prefix + strings.Repeat("0", MaxTextLen), "exceeds"},
		{"not base45", Prefix + "abc", "base45"},
		{"not COSE", Prefix + base45.Encode([]byte{0xa0}), "cose"},
		{"tampered", good[:len(good)-3] + "000", ""},
		{"unknown key", mustSign(t, otherKey, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid(otherKey)}, payload(valid)), "unknown kid"},
		{"signed by another key", mustSign(t, otherKey, hdr, payload(valid)), "signature"},
		{"no kid", mustSign(t, key, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA}, payload(valid)), "missing kid"},
		{"extra header", mustSign(t, key, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid(key), cose.HeaderLabelContentType: "text/plain"}, payload(valid)), "unexpected protected header"},
		{"unknown claim", mustSign(t, key, hdr, payload(with(9, "x"))), "claims"},
		{"unknown type", mustSign(t, key, hdr, payload(with(1, "sim"))), "unknown document type"},
		{"no name", mustSign(t, key, hdr, payload(with(3, nil))), "key field is missing"},
		{"short hash", mustSign(t, key, hdr, payload(with(5, hash[:16]))), "content hash has 16 bytes"},
		{"nested", mustSign(t, key, hdr, payload(with(3, map[int]any{1: map[int]any{1: []any{[]any{1}}}}))), "claims"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifierFor(key).Verify(tc.text)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %s", err, ErrInvalid.Code)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	s := MustSigner(t, key)
	d := ktp()
	delete(d.Fields, "tanggal_terbit")
	if _, err := s.Sign(d); !errors.Is(err, ErrSign) {
		t.Errorf("err = %v, want %s", err, ErrSign.Code)
	}
	d = ktp()
	d.Type = "sim"
	if _, err := s.Sign(d); !errors.Is(err, ErrSign) {
		t.Errorf("err = %v, want %s", err, ErrSign.Code)
	}
	if _, err := NewSigner(key[:10]); !errors.Is(err, ErrSign) {
		t.Errorf("err = %v, want %s", err, ErrSign.Code)
	}
}

func TestClaimsMaskedNumber(t *testing.T) {
	for in, want := range map[string]string{
		"3174011708850003": "3174********0003",
		"3374121505150007": "3374********0007",
		"12345":            "****",
	} {
		if got := (Claims{Number: in}).MaskedNumber(); got != want {
			t.Errorf("MaskedNumber(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestBase45(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}, {"", ""},
	} {
		if got := base45.Encode([]byte(tc.in)); got != tc.out {
			t.Errorf("encode(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if got, err := base45.Decode(tc.out); err != nil || string(got) != tc.in {
			t.Errorf("decode(%q) = %q, %v", tc.out, got, err)
		}
	}
	for _, bad := range []string{"GGW", "A", "abc", "ZZZZ"} {
		if _, err := base45.Decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	good, err := MustSigner(f, key).Sign(ktp())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("DQ1:")
	f.Add("DQ1:6BF")
	v := verifierFor(key)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := v.Verify(text)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not %s", err, ErrInvalid.Code)
			}
			return
		}
		if !c.Type.Valid() || len(c.ContentHash) != 32 || checkIssued(c.Issued) != nil {
			t.Fatalf("verified claims are not valid: %+v", c)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	s := MustSigner(b, key)
	d := ktp()
	for b.Loop() {
		if _, err := s.Sign(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	text, _ := MustSigner(b, key).Sign(ktp())
	v := verifierFor(key)
	for b.Loop() {
		if _, err := v.Verify(text); err != nil {
			b.Fatal(err)
		}
	}
}
