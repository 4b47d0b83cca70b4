package client

import "testing"

// FuzzDecodeError feeds error bodies to the decoder: it must never panic
// and always yield a code and messages a citizen may see.
func FuzzDecodeError(f *testing.F) {
	f.Add(500, []byte(`{"error":{"code":"journal_unavailable","message_id":"x","message_en":"y"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeError(status, body)
		if e == nil || e.Code == "" || e.ID == "" || e.EN == "" {
			t.Fatalf("decodeError = %#v", e)
		}
	})
}
