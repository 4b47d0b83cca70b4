package ticket

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"github.com/anjungan/anjungan/station/base45"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/station"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vectorFile is testdata/vectors.json, the test vectors of docs/ticket.md:
// everything another implementation needs to check itself against ours.
type vectorFile struct {
	Comment    string   `json:"comment"`
	PublicKey  string   `json:"public_key"`  // Ed25519, 32 bytes hex: the one pinned key
	KeyID      string   `json:"kid"`         // hex
	BindingKey string   `json:"binding_key"` // 32 bytes hex
	NIK        string   `json:"nik"`         // synthetic; what valid tickets are bound to
	Now        string   `json:"now"`         // RFC 3339: verify at this time
	SkewSec    int      `json:"skew_seconds"`
	Used       []string `json:"used"` // ticket ids on the local used list
	Vectors    []vector `json:"vectors"`
}

type vector struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	Result string `json:"result"` // "valid" or the error code
	ID     string `json:"ticket_id,omitempty"`
}

const vectorsPath = "testdata/vectors.json"

// makeVectors signs the vectors afresh (ES256 signatures are randomised,
// so the file changes on every -update; the verdicts do not).
func makeVectors(t *testing.T) vectorFile {
	t.Helper()
	pub := testKey.Public().(ed25519.PublicKey)
	valid := MustIssue(t, testKey, testIssue)
	validTicket, err := testVerifier().Verify(valid, testNow)
	if err != nil {
		t.Fatal(err)
	}
	replayReq := testIssue
	replayReq.Registration = "REG-20260301-000002"
	is := testIssuer(testKey)
	is.Rand = &countingReader{n: 0x80} // another ticket id than the valid one
	replayed, _, err := is.Issue(replayReq)
	if err != nil {
		t.Fatal(err)
	}
	replayedTicket, err := testVerifier().Verify(replayed, testNow)
	if err != nil {
		t.Fatal(err)
	}
	expired := testIssue
	expired.IssuedAt, expired.Expires = testNow.Add(-48*time.Hour), testNow.Add(-time.Hour)
	notYet := testIssue
	notYet.NotBefore = testNow.Add(time.Hour)

	payload, err := claimsEnc.Marshal(claims{Issuer: "registry-sim", IssuedAt: testNow.Add(-time.Hour).Unix(),
		Expires: testNow.Add(time.Hour).Unix(), ID: bytes.Repeat([]byte{7}, idLen),
		Approval: approval{Registration: "REG-1", Documents: []string{"ktp-el"}, Binding: Binding(testBind, testNIK)}})
	if err != nil {
		t.Fatal(err)
	}
	// The claims map again with a second "iss" (key 1) at its end.
	dup := append([]byte{payload[0] + 1}, payload[1:]...)
	dup = append(dup, 0x01, 0x61, 'x')

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := cose.NewSigner(cose.AlgorithmES256, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	es256 := cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmES256, cose.HeaderLabelKeyID: keyIDBytes(pub)}

	raw, _ := base45.Decode(valid[len(Prefix):])
	tampered := bytes.Clone(raw)
	tampered[len(tampered)-70] ^= 0x01 // a payload byte just before the signature

	invalid, expiredCode, used := string(station.ErrTicketInvalid.Code), string(station.ErrTicketExpired.Code), string(station.ErrTicketUsed.Code)
	return vectorFile{
		Comment:    "QR ticket test vectors, docs/ticket.md. Synthetic keys and NIK; regenerate with go test ./station/ticket -run TestVectors -update",
		PublicKey:  hex.EncodeToString(pub),
		KeyID:      KeyID(pub),
		BindingKey: hex.EncodeToString(testBind),
		NIK:        testNIK.Reveal(),
		Now:        testNow.Format(time.RFC3339),
		SkewSec:    int(testSkew / time.Second),
		Used:       []string{replayedTicket.ID},
		Vectors: []vector{
			{"valid", valid, "valid", validTicket.ID},
			{"expired", MustIssue(t, testKey, expired), expiredCode, ""},
			{"not-yet-valid", MustIssue(t, testKey, notYet), invalid, ""},
			{"wrong-key", mustSign(t, mustEdSigner(t, otherKey), edHeader(testKey), nil, payload), invalid, ""},
			{"unknown-kid", MustIssue(t, otherKey, testIssue), invalid, ""},
			{"wrong-alg", mustSign(t, ecSigner, es256, nil, payload), invalid, ""},
			{"tampered-payload", Prefix + base45.Encode(tampered), invalid, ""},
			{"truncated", valid[:len(valid)-3], invalid, ""},
			{"oversize", Prefix + strings.Repeat("0", MaxTextLen), invalid, ""},
			{"duplicate-map-keys", mustSign(t, mustEdSigner(t, testKey), edHeader(testKey), nil, dup), invalid, ""},
			{"replayed", replayed, used, replayedTicket.ID},
		},
	}
}

func TestVectors(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(makeVectors(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.FromSlash(vectorsPath))
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	pubBytes, _ := hex.DecodeString(f.PublicKey)
	pub := ed25519.PublicKey(pubBytes)
	bindingKey, _ := hex.DecodeString(f.BindingKey)
	now, err := time.Parse(time.RFC3339, f.Now)
	if err != nil || KeyID(pub) != f.KeyID {
		t.Fatalf("vector file header: now %v, kid %s vs %s", err, KeyID(pub), f.KeyID)
	}
	v := &Verifier{Keys: KeySet{f.KeyID: pub}, Skew: time.Duration(f.SkewSec) * time.Second}
	used := map[string]bool{} // the kiosk's used list, for the replay vector
	for _, id := range f.Used {
		used[id] = true
	}
	want := map[string]bool{"valid": false, "expired": false, "not-yet-valid": false, "wrong-key": false, "unknown-kid": false,
		"wrong-alg": false, "tampered-payload": false, "truncated": false, "oversize": false, "duplicate-map-keys": false, "replayed": false}
	for _, vec := range f.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			want[vec.Name] = true
			got := "valid"
			tk, err := v.Verify(vec.Text, now)
			switch {
			case err != nil:
				var fe *station.Error
				if !errors.As(err, &fe) {
					t.Fatalf("untyped error %v", err)
				}
				got = string(fe.Code)
			case used[tk.ID]:
				got = string(station.ErrTicketUsed.Code)
			}
			if got != vec.Result {
				t.Fatalf("result %s (%v), want %s", got, err, vec.Result)
			}
			if err == nil {
				if tk.ID != vec.ID {
					t.Fatalf("ticket id %s, want %s", tk.ID, vec.ID)
				}
				if !bytes.Equal(tk.NIKBinding, Binding(bindingKey, station.MustParseNIK(f.NIK))) {
					t.Fatal("binding does not match the vector NIK")
				}
			}
		})
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("vector %s missing", name)
		}
	}
}
