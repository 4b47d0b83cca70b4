package ticket

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/anjungan/anjungan/station/base45"
	"strings"
	"testing"
	"time"

	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
)

// The fuzz seeds in testdata were signed with this key at this time.
var (
	testKey   = ed25519.NewKeyFromSeed(sha256Of("anjungan ticket test key"))
	otherKey  = ed25519.NewKeyFromSeed(sha256Of("anjungan other key"))
	testNow   = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	testNIK   = station.MustParseNIK("3171094509900003")
	testBind  = sha256Of("anjungan binding key")
	testDocs  = []station.DocumentType{station.KTPEl, station.KK}
	testSkew  = DefaultSkew
	testIssue = IssueRequest{
		Registration: "REG-20260301-000001",
		Documents:    testDocs,
		NIK:          testNIK,
		IssuedAt:     testNow.Add(-time.Hour),
		Expires:      testNow.Add(30 * 24 * time.Hour),
	}
)

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func testVerifier() *Verifier {
	pub := testKey.Public().(ed25519.PublicKey)
	return &Verifier{Keys: KeySet{KeyID(pub): pub}, Skew: testSkew}
}

// countingReader gives distinct, reproducible ticket ids.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		r.n++
		p[i] = r.n
	}
	return len(p), nil
}

func testIssuer(key ed25519.PrivateKey) *Issuer {
	return &Issuer{Key: key, Issuer: "registry-sim", BindingKey: testBind, Rand: &countingReader{}}
}

// MustIssue issues a ticket with the test key.
func MustIssue(tb testing.TB, key ed25519.PrivateKey, req IssueRequest) string {
	tb.Helper()
	text, _, err := testIssuer(key).Issue(req)
	if err != nil {
		tb.Fatalf("Issue: %v", err)
	}
	return text
}

// mustSign builds a ticket text from hand-made headers and payload, for
// the cases Issue refuses to produce.
func mustSign(tb testing.TB, signer cose.Signer, protected cose.ProtectedHeader, unprotected cose.UnprotectedHeader, payload []byte) string {
	tb.Helper()
	raw, err := cose.Sign1Untagged(rand.Reader, signer, cose.Headers{Protected: protected, Unprotected: unprotected}, payload, nil)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return Prefix + base45.Encode(raw)
}

func mustEdSigner(tb testing.TB, key ed25519.PrivateKey) cose.Signer {
	tb.Helper()
	s, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// mustPayload is the encoded claims of a valid ticket.
func mustPayload(tb testing.TB) []byte {
	tb.Helper()
	p, err := claimsEnc.Marshal(claims{
		Issuer: "registry-sim", IssuedAt: testNow.Add(-time.Hour).Unix(), Expires: testNow.Add(time.Hour).Unix(),
		ID:       bytes.Repeat([]byte{7}, idLen),
		Approval: approval{Registration: "REG-1", Documents: []string{"ktp-el"}, Binding: make([]byte, bindingLen)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func edHeader(key ed25519.PrivateKey) cose.ProtectedHeader {
	return cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA,
		cose.HeaderLabelKeyID:     keyIDBytes(key.Public().(ed25519.PublicKey)),
	}
}

func TestVerify(t *testing.T) {
	valid := MustIssue(t, testKey, testIssue)
	withNbf := testIssue
	withNbf.NotBefore = testNow.Add(-time.Minute)
	withNbf.Site = "MPP-JAKSEL-01"
	notYet := testIssue
	notYet.NotBefore = testNow.Add(time.Hour)
	expired := testIssue
	expired.Expires = testNow.Add(-time.Hour)
	expired.IssuedAt = testNow.Add(-48 * time.Hour)
	expiredInSkew := testIssue
	expiredInSkew.Expires = testNow.Add(-testSkew / 2)
	future := testIssue
	future.IssuedAt = testNow.Add(time.Hour)
	otherSite := testIssue
	otherSite.Site = "MPP-BANDUNG-01"

	payload := mustPayload(t)
	dup := append([]byte{payload[0] + 1}, payload[1:]...)
	dup = append(dup, 0x01, 0x61, 'x') // iss again
	deep := append([]byte{payload[0] + 1}, payload[1:]...)
	deep = append(deep, 0x18, 0x63, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01) // 99: [[[[[1]]]]]
	badDoc, _ := claimsEnc.Marshal(claims{
		Issuer: "x", IssuedAt: 1, Expires: testNow.Add(time.Hour).Unix(), ID: make([]byte, idLen),
		Approval: approval{Registration: "R", Documents: []string{"sim-a"}, Binding: make([]byte, bindingLen)},
	})
	shortID, _ := claimsEnc.Marshal(claims{
		Issuer: "x", IssuedAt: 1, Expires: testNow.Add(time.Hour).Unix(), ID: make([]byte, 4),
		Approval: approval{Registration: "R", Documents: []string{"kk"}, Binding: make([]byte, bindingLen)},
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := cose.NewSigner(cose.AlgorithmES256, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	es256 := cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmES256, cose.HeaderLabelKeyID: keyIDBytes(testKey.Public().(ed25519.PublicKey))}
	extraHeader := edHeader(testKey)
	extraHeader[cose.HeaderLabelContentType] = "application/cwt"

	raw, _ := base45.Decode(valid[len(Prefix):])
	tampered := bytes.Clone(raw)
	tampered[len(tampered)-70] ^= 0x01 // inside the payload, just before the signature
	tagged := append([]byte{0xd2}, raw...)

	siteVerifier := testVerifier()
	siteVerifier.Site = "MPP-JAKSEL-01"

	tests := []struct {
		name     string
		text     string
		verifier *Verifier
		want     *fault.Error // nil: valid
	}{
		{"valid", valid, nil, nil},
		{"valid with nbf and site", MustIssue(t, testKey, withNbf), siteVerifier, nil},
		{"expired within skew", MustIssue(t, testKey, expiredInSkew), nil, nil},
		{"expired", MustIssue(t, testKey, expired), nil, station.ErrTicketExpired},
		{"not yet valid", MustIssue(t, testKey, notYet), nil, station.ErrTicketInvalid},
		{"issued in the future", MustIssue(t, testKey, future), nil, station.ErrTicketInvalid},
		{"other site", MustIssue(t, testKey, otherSite), siteVerifier, station.ErrTicketInvalid},
		{"wrong key", mustSign(t, mustEdSigner(t, otherKey), edHeader(testKey), nil, payload), nil, station.ErrTicketInvalid},
		{"unknown kid", MustIssue(t, otherKey, testIssue), nil, station.ErrTicketInvalid},
		{"no keys pinned", valid, &Verifier{}, station.ErrTicketInvalid},
		{"wrong alg", mustSign(t, ecSigner, es256, nil, payload), nil, station.ErrTicketInvalid},
		{"extra protected header", mustSign(t, mustEdSigner(t, testKey), extraHeader, nil, payload), nil, station.ErrTicketInvalid},
		{"unprotected header", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), cose.UnprotectedHeader{cose.HeaderLabelContentType: "application/cwt"}, payload), nil, station.ErrTicketInvalid},
		{"tampered", Prefix + base45.Encode(tampered), nil, station.ErrTicketInvalid},
		{"tagged", Prefix + base45.Encode(tagged), nil, station.ErrTicketInvalid},
		{"truncated", valid[:len(valid)-3], nil, station.ErrTicketInvalid},
		{"truncated to one char", valid[:len(valid)-2], nil, station.ErrTicketInvalid},
		{"oversize", Prefix + strings.Repeat("0", MaxTextLen), nil, station.ErrTicketInvalid},
		{"bad prefix", "TK2:" + valid[len(Prefix):], nil, station.ErrNotATicket},
		{"no prefix", valid[len(Prefix):], nil, station.ErrNotATicket},
		{"empty", "", nil, station.ErrNotATicket},
		{"another QR code", "https://example.org/promo?id=17", nil, station.ErrNotATicket},
		{"lower case", Prefix + strings.ToLower(valid[len(Prefix):]), nil, station.ErrTicketInvalid},
		{"duplicate claim", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, dup), nil, station.ErrTicketInvalid},
		{"deep nesting", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, deep), nil, station.ErrTicketInvalid},
		{"unknown document type", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, badDoc), nil, station.ErrTicketInvalid},
		{"short ticket id", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, shortID), nil, station.ErrTicketInvalid},
		{"payload not a map", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, []byte{0x01}), nil, station.ErrTicketInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.verifier
			if v == nil {
				v = testVerifier()
			}
			got, err := v.Verify(tt.text, testNow)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if len(got.ID) != 32 || got.Issuer != "registry-sim" || len(got.NIKBinding) != bindingLen {
					t.Fatalf("Verify = %+v", got)
				}
				return
			}
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %s", err, tt.want.Code)
			}
			if fault.As(err).Cause == nil {
				t.Fatalf("error %v has no cause", err)
			}
		})
	}
}

func TestIssueRoundTrip(t *testing.T) {
	req := testIssue
	req.NotBefore = testNow.Add(-time.Minute)
	req.Site = "MPP-JAKSEL-01"
	text, issued, err := testIssuer(testKey).Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := testVerifier().Verify(text, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != issued.ID || got.Registration != req.Registration || got.Site != req.Site ||
		!got.NotBefore.Equal(req.NotBefore) || !got.Expires.Equal(req.Expires) ||
		!got.IssuedAt.Equal(req.IssuedAt) || len(got.Documents) != 2 || got.Documents[1] != station.KK {
		t.Fatalf("round trip: got %+v, issued %+v", got, issued)
	}
	if !bytes.Equal(got.NIKBinding, Binding(testBind, testNIK)) {
		t.Fatal("binding differs")
	}
	if strings.Contains(text, testNIK.Reveal()) {
		t.Fatal("ticket text holds the NIK")
	}
	if len(text) > 400 {
		t.Errorf("ticket text is %d bytes; expected a small QR", len(text))
	}
}

// TestClaimsDeterministic pins the encoding: core deterministic CBOR with
// the private claim last (its key is the longest).
func TestClaimsDeterministic(t *testing.T) {
	p := mustPayload(t)
	want := "a5" + "01" + "6c" + hex.EncodeToString([]byte("registry-sim"))
	if !strings.HasPrefix(hex.EncodeToString(p), want) {
		t.Fatalf("payload %x does not start with %s", p, want)
	}
	if !bytes.Contains(p, []byte{0x3a, 0x00, 0x01, 0x11, 0x70}) {
		t.Fatalf("payload %x lacks claim -70001", p)
	}
}

func TestIssueRefuses(t *testing.T) {
	tests := []struct {
		name   string
		issuer *Issuer
		req    func(r *IssueRequest)
	}{
		{"no key", &Issuer{Issuer: "x", BindingKey: testBind, Rand: rand.Reader}, func(*IssueRequest) {}},
		{"no binding key", &Issuer{Key: testKey, Issuer: "x", Rand: rand.Reader}, func(*IssueRequest) {}},
		{"no documents", nil, func(r *IssueRequest) { r.Documents = nil }},
		{"unknown document", nil, func(r *IssueRequest) { r.Documents = []station.DocumentType{"sim"} }},
		{"duplicate document", nil, func(r *IssueRequest) { r.Documents = []station.DocumentType{station.KK, station.KK} }},
		{"no NIK", nil, func(r *IssueRequest) { r.NIK = station.NIK{} }},
		{"no registration", nil, func(r *IssueRequest) { r.Registration = "" }},
		{"expires before issue", nil, func(r *IssueRequest) { r.Expires = r.IssuedAt }},
		{"too long", nil, func(r *IssueRequest) { r.Registration = strings.Repeat("R", 800) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := tt.issuer
			if is == nil {
				is = testIssuer(testKey)
			}
			req := testIssue
			tt.req(&req)
			if _, _, err := is.Issue(req); !errors.Is(err, ErrIssue) {
				t.Fatalf("Issue error = %v, want %s", err, ErrIssue.Code)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(MustIssue(f, testKey, testIssue))
	v := testVerifier()
	f.Fuzz(func(t *testing.T, text string) {
		got, err := v.Verify(text, testNow)
		if err != nil {
			code := fault.CodeOf(err)
			if code != station.ErrTicketInvalid.Code && code != station.ErrTicketExpired.Code && code != station.ErrNotATicket.Code {
				t.Fatalf("unexpected error code %q: %v", code, err)
			}
			return
		}
		if len(got.ID) != 2*idLen || len(got.NIKBinding) != bindingLen || len(got.Documents) == 0 {
			t.Fatalf("accepted a malformed ticket: %+v", got)
		}
	})
}

func BenchmarkVerifyTicket(b *testing.B) {
	text := MustIssue(b, testKey, testIssue)
	v := testVerifier()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(text, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueTicket(b *testing.B) {
	is := testIssuer(testKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := is.Issue(testIssue); err != nil {
			b.Fatal(err)
		}
	}
}
