package ektp

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station/ticket"
)

// -update rewrites the corrupt-record fixtures in testdata/records and
// the seed corpus of FuzzParseRecord from the builders below, and the
// quirk_* seeds of FuzzRead (TestFuzzReadQuirkSeeds).
var update = flag.Bool("update", false, "rewrite testdata/records, testdata/fuzz/FuzzParseRecord and the quirk_* seeds of FuzzRead")

var (
	fixtureKey    = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	otherKey      = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	fixtureSerial = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

// entry is one key and value of a record payload; payloads are built by
// hand so a test controls order, duplicates and encodings.
type entry struct {
	key int
	val any // a value cbor.Marshal encodes, or raw CBOR as cbor.RawMessage
}

func goodEntries() []entry {
	return []entry{{1, 1}, {2, "3171012503900001"}, {3, fixtureSerial}, {4, 1577923200}, {5, "dukcapil-test"}}
}

// payload encodes a CBOR map of entries in the given order; head replaces
// the map header when not nil (indefinite length: 0xBF, then 0xFF last).
func payload(tb testing.TB, es []entry, head []byte) []byte {
	tb.Helper()
	if head == nil {
		head = []byte{0xA0 | byte(len(es))}
	}
	out := append([]byte{}, head...)
	for _, e := range es {
		for _, v := range []any{e.key, e.val} {
			b, err := cbor.Marshal(v)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b...)
		}
	}
	if head[0] == 0xBF {
		out = append(out, 0xFF)
	}
	return out
}

func with(es []entry, key int, val any) []entry {
	out := append([]entry{}, es...)
	for i := range out {
		if out[i].key == key {
			out[i].val = val
		}
	}
	return out
}

// sign1 makes an untagged COSE_Sign1 over p with the given headers.
func sign1(tb testing.TB, key ed25519.PrivateKey, h cose.Headers, p []byte) []byte {
	tb.Helper()
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := cose.Sign1Untagged(nil, signer, h, p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func headersFor(key ed25519.PrivateKey) cose.Headers {
	kid, _ := hex.DecodeString(ticket.KeyID(key.Public().(ed25519.PublicKey)))
	return cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   cose.AlgorithmEdDSA,
		cose.HeaderLabelKeyID:       kid,
		cose.HeaderLabelContentType: ContentType,
	}}
}

// corruptPayloads are record payloads that parseRecord must refuse, named
// by failure mode.
func corruptPayloads(tb testing.TB) map[string][]byte {
	g := goodEntries()
	swapped := append([]entry{g[1], g[0]}, g[2:]...)
	return map[string][]byte{
		"keys_out_of_order":   payload(tb, swapped, nil),
		"duplicate_nik_key":   payload(tb, append(g[:2:2], append([]entry{{2, "3273015708850002"}}, g[2:]...)...), nil),
		"unknown_key":         payload(tb, append(g[:5:5], entry{6, "BUDI"}), nil),
		"indefinite_length":   payload(tb, g, []byte{0xBF}),
		"tagged_issue_time":   payload(tb, with(g, 4, cbor.RawMessage{0xC1, 0x1A, 0x5E, 0x0D, 0x32, 0x80}), nil),
		"nik_15_digits":       payload(tb, with(g, 2, "317101250390000"), nil),
		"nik_bad_birth_date":  payload(tb, with(g, 2, "3171019913900001"), nil),
		"version_2":           payload(tb, with(g, 1, 2), nil),
		"serial_7_bytes":      payload(tb, with(g, 3, fixtureSerial[:7]), nil),
		"issuer_missing":      payload(tb, g[:4], nil),
		"issue_time_zero":     payload(tb, with(g, 4, 0), nil),
		"nik_as_number":       payload(tb, with(g, 2, 3171012503900001), nil),
		"not_a_map":           {0x85, 0x01, 0x02, 0x03, 0x04, 0x05},
		"truncated":           payload(tb, g, nil)[:20],
		"non_minimal_integer": payload(tb, with(g, 1, cbor.RawMessage{0x18, 0x01}), nil),
	}
}

// corruptRecords are whole records that Verify must refuse, named by
// failure mode, with a fragment of the reason it gives.
func corruptRecords(tb testing.TB) map[string]struct {
	raw    []byte
	reason string
} {
	good := payload(tb, goodEntries(), nil)
	rec := sign1(tb, fixtureKey, headersFor(fixtureKey), good)
	badSig := bytes.Clone(rec)
	badSig[len(badSig)-1] ^= 1
	wrongCT := headersFor(fixtureKey)
	wrongCT.Protected[cose.HeaderLabelContentType] = "application/cbor"
	extra := headersFor(fixtureKey)
	extra.Protected[int64(99)] = "x"
	unprot := headersFor(fixtureKey)
	unprot.Unprotected = cose.UnprotectedHeader{int64(99): "x"}
	noKid := headersFor(fixtureKey)
	delete(noKid.Protected, cose.HeaderLabelKeyID)
	noKid.Protected[int64(99)] = "x" // keep three headers: the kid check is the one that fails
	return map[string]struct {
		raw    []byte
		reason string
	}{
		"bad_signature":                     {badSig, "signature"},
		"signed_by_unknown_key":             {sign1(tb, otherKey, headersFor(otherKey), good), "unknown kid"},
		"kid_of_pinned_key_signed_by_other": {sign1(tb, otherKey, headersFor(fixtureKey), good), "signature"},
		"wrong_content_type":                {sign1(tb, fixtureKey, wrongCT, good), "content type"},
		"extra_protected_header":            {sign1(tb, fixtureKey, extra, good), "protected headers"},
		"unprotected_header":                {sign1(tb, fixtureKey, unprot, good), "unprotected header"},
		"missing_kid":                       {sign1(tb, fixtureKey, noKid, good), "kid"},
		"record_of_another_chip":            {sign1(tb, fixtureKey, headersFor(fixtureKey), payload(tb, with(goodEntries(), 3, []byte{9, 9, 9, 9, 9, 9, 9, 9}), nil)), "another chip"},
		"payload_not_deterministic":         {sign1(tb, fixtureKey, headersFor(fixtureKey), corruptPayloads(tb)["keys_out_of_order"]), "deterministic"},
		"payload_bad_nik":                   {sign1(tb, fixtureKey, headersFor(fixtureKey), corruptPayloads(tb)["nik_bad_birth_date"]), "record"},
		"too_long":                          {append(bytes.Clone(rec), make([]byte, MaxRecordLen)...), "exceeds"},
		"truncated":                         {rec[:len(rec)-10], "cose"},
		"tagged_sign1":                      {append([]byte{0xD2}, rec...), "cose"},
	}
}

func fixtureVerifier() *Verifier {
	pub := fixtureKey.Public().(ed25519.PublicKey)
	return &Verifier{Keys: ticket.KeySet{ticket.KeyID(pub): pub}}
}

// TestCorruptRecordFixtures reads testdata/records: good.cose verifies,
// every other file is refused with card_not_genuine for its reason. The
// fixtures are checked in so a change of the encoder or of go-cose cannot
// silently change what is tested.
func TestCorruptRecordFixtures(t *testing.T) {
	cases := corruptRecords(t)
	if *update {
		writeFixtures(t, cases)
	}
	good, err := os.ReadFile(filepath.Join("testdata", "records", "good.cose"))
	if err != nil {
		t.Fatal(err)
	}
	if id, err := fixtureVerifier().Verify(good, fixtureSerial); err != nil || id.NIK.Reveal() != "3171012503900001" {
		t.Fatalf("good.cose: %v, %v", id.NIK, err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "records", name+".cose"))
			if err != nil {
				t.Fatalf("%v (go test -run TestCorruptRecordFixtures -update)", err)
			}
			_, err = fixtureVerifier().Verify(raw, fixtureSerial)
			if fault.CodeOf(err) != ErrCardNotGenuine.Code || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("Verify: %v, want card_not_genuine for %q", err, c.reason)
			}
		})
	}
}

func writeFixtures(t *testing.T, cases map[string]struct {
	raw    []byte
	reason string
}) {
	dir := filepath.Join("testdata", "records")
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "good.cose"), sign1(t, fixtureKey, headersFor(fixtureKey), payload(t, goodEntries(), nil)), 0o644))
	for name, c := range cases {
		must(t, os.WriteFile(filepath.Join(dir, name+".cose"), c.raw, 0o644))
	}
	corpus := filepath.Join("testdata", "fuzz", "FuzzParseRecord")
	must(t, os.MkdirAll(corpus, 0o755))
	for name, p := range corruptPayloads(t) {
		must(t, os.WriteFile(filepath.Join(corpus, name), []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(p))+")\n"), 0o644))
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func TestParseRecordRefusesCorruptPayloads(t *testing.T) {
	if _, err := parseRecord(payload(t, goodEntries(), nil)); err != nil {
		t.Fatalf("good payload: %v", err)
	}
	for name, p := range corruptPayloads(t) {
		if id, err := parseRecord(p); err == nil {
			t.Errorf("%s: accepted as %v", name, id.NIK)
		}
	}
}

// FuzzParseRecord feeds arbitrary payloads to the identity record's
// decoder, which FuzzVerifyRecord cannot reach without a valid
// signature. An accepted payload is the one encoding of its identity.
func FuzzParseRecord(f *testing.F) {
	f.Add(payload(f, goodEntries(), nil))
	for _, p := range corruptPayloads(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		id, err := parseRecord(p)
		if err != nil {
			return
		}
		serial, _ := hex.DecodeString(id.CardSerial)
		again, err := recordEnc.Marshal(record{Version: recordVersion, NIK: id.NIK.Reveal(), Serial: serial,
			IssuedAt: id.IssuedAt.Unix(), Issuer: id.Issuer})
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("accepted a payload that is not its identity's encoding: % x", p)
		}
	})
}
