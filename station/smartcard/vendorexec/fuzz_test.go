package vendorexec_test

import (
	"encoding/json"
	"testing"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vendorexec"
)

// FuzzDecode feeds arbitrary program output to Decode: it never panics,
// every error is one of the errors a citizen may see, and an identity it
// accepts survives a round trip through the contract's JSON.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"nik":"3171012503900001","card_serial":"0102030405060708","issuer":"x","issued_at":"2020-01-02T00:00:00Z"}`))
	f.Add([]byte(`{"error":"card_lost","message":"gone"}`))
	known := map[fault.Code]bool{
		station.ErrCardUnreadable.Code: true, ektp.ErrNotEKTP.Code: true, ektp.ErrSAMUnavailable.Code: true,
		ektp.ErrCardNotGenuine.Code: true, vendorexec.ErrProgramFailed.Code: true,
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		id, err := vendorexec.Decode(out)
		if err != nil {
			if !known[fault.CodeOf(err)] {
				t.Fatalf("error of unexpected kind: %v", err)
			}
			return
		}
		if id.NIK.IsZero() || id.CardSerial == "" || id.Issuer == "" || id.IssuedAt.IsZero() {
			t.Fatalf("accepted an incomplete identity: %+v", id)
		}
		again, err := json.Marshal(map[string]string{
			"nik": id.NIK.Reveal(), "card_serial": id.CardSerial, "issuer": id.Issuer,
			"issued_at": id.IssuedAt.Format("2006-01-02T15:04:05.999999999Z07:00"),
		})
		if err != nil {
			t.Fatal(err)
		}
		id2, err := vendorexec.Decode(again)
		if err != nil {
			t.Fatalf("re-encoded identity refused: %v\n%s", err, again)
		}
		if id2.NIK != id.NIK || id2.CardSerial != id.CardSerial || id2.Issuer != id.Issuer || !id2.IssuedAt.Equal(id.IssuedAt) {
			t.Fatalf("round trip changed the identity: %+v != %+v", id2, id)
		}
	})
}

func TestDecode(t *testing.T) {
	const rest = `"card_serial": "01", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}`
	for _, tt := range []struct {
		name, out string
		want      *fault.Error // nil: accepted
	}{
		{"identity", `{"nik": "3171012503900001", ` + rest, nil},
		{"error card_lost", `{"error": "card_lost"}`, station.ErrCardUnreadable},
		{"error not_genuine with message", `{"error": "not_genuine", "message": "6300"}`, ektp.ErrCardNotGenuine},
		{"duplicate nik key", `{"nik": "3171012503900001", "nik": "3171016505900002", ` + rest, vendorexec.ErrProgramFailed},
		{"case folded key", `{"NIK": "3171012503900001", ` + rest, vendorexec.ErrProgramFailed},
		{"unknown key", `{"nik": "3171012503900001", "name": "BUDI", ` + rest, vendorexec.ErrProgramFailed},
		{"missing nik", `{` + rest, vendorexec.ErrProgramFailed},
		{"message without error", `{"nik": "3171012503900001", "message": "hi", ` + rest, vendorexec.ErrProgramFailed},
		{"error and identity", `{"error": "card_lost", "nik": "3171012503900001"}`, vendorexec.ErrProgramFailed},
		{"number value", `{"nik": 3171012503900001, ` + rest, vendorexec.ErrProgramFailed},
		{"trailing garbage", `{"error": "card_lost"} ok`, vendorexec.ErrProgramFailed},
		{"empty", ``, vendorexec.ErrProgramFailed},
		{"invalid utf-8", "{\"error\": \"card_lost\", \"message\": \"\xff\"}", vendorexec.ErrProgramFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vendorexec.Decode([]byte(tt.out))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fault.CodeOf(err) != tt.want.Code {
				t.Fatalf("err = %v, want %s", err, tt.want.Code)
			}
		})
	}
}
