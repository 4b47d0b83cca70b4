package client

import (
	"bytes"
	"testing"

	"github.com/anjungan/anjungan/printerd"
)

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

// FuzzReadEvents feeds event streams to the parser: it must never panic,
// and every notice it yields came from a data field.
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte("id: 1\nevent: job\ndata: {\"seq\":1,\"kind\":\"job\"}\n\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		n := 0
		_ = ReadEvents(bytes.NewReader(stream), func(printerd.Notice) bool { n++; return n < 100 })
		if n > 0 && !bytes.Contains(stream, []byte("data")) {
			t.Fatalf("%d notices from a stream without data", n)
		}
	})
}
