package printerd

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// Limits of a SubmitRequest.
const (
	MaxDocument       = 24 << 20 // bytes of PDF; a card is ~100 KiB, a KK a few MiB
	MaxIdempotencyKey = 128
	MaxTitle          = 64
	MaxDocumentType   = 32
)

// Valid reports whether m is a media printerd knows.
func (m Media) Valid() bool { return m == MediaA4 || m == MediaCard }

// Validate checks a request before anything is stored: a key of visible
// ASCII, a known media, a short printable title and a non-empty PDF.
func (r SubmitRequest) Validate() error {
	if r.IdempotencyKey == "" || len(r.IdempotencyKey) > MaxIdempotencyKey {
		return ErrInvalidJob.Withf("idempotency key length %d", len(r.IdempotencyKey))
	}
	for i := 0; i < len(r.IdempotencyKey); i++ {
		if c := r.IdempotencyKey[i]; c < 0x21 || c > 0x7e {
			return ErrInvalidJob.Withf("idempotency key byte %d is not visible ASCII", i)
		}
	}
	if !r.Media.Valid() {
		return ErrInvalidJob.Withf("unknown media %q", r.Media)
	}
	if len(r.Title) > MaxTitle || !utf8.ValidString(r.Title) {
		return ErrInvalidJob.Withf("title is too long or not UTF-8")
	}
	for _, c := range r.Title {
		if !unicode.IsPrint(c) {
			return ErrInvalidJob.Withf("title holds a control character")
		}
	}
	if err := validDocumentType(r.DocumentType); err != nil {
		return err
	}
	if r.Presence != "" {
		if err := ValidPresence(r.Presence); err != nil {
			return ErrInvalidJob.With(err)
		}
	}
	if len(r.Document) == 0 {
		return ErrInvalidJob.Withf("empty document")
	}
	if len(r.Document) > MaxDocument {
		return ErrInvalidJob.Withf("document of %d bytes exceeds %d", len(r.Document), MaxDocument)
	}
	if !bytes.HasPrefix(r.Document, []byte("%PDF-")) {
		return ErrInvalidJob.Withf("document is not a PDF")
	}
	return nil
}

// Valid reports whether s is a known job state.
func (s JobState) Valid() bool {
	switch s {
	case JobQueued, JobDispatching, JobPrinted, JobHeld, JobFailed, JobCanceled, JobInDoubt:
		return true
	}
	return false
}

// validDocumentType accepts "" or a type id: 1 to MaxDocumentType bytes of
// [a-z0-9-], as the station registers them ("ktp-el"). Anything else —
// a title, spaces, capitals — is refused, so the fleet's counts by
// document type cannot fill with free text.
func validDocumentType(t string) error {
	if len(t) > MaxDocumentType {
		return ErrInvalidJob.Withf("document type of %d bytes exceeds %d", len(t), MaxDocumentType)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return ErrInvalidJob.Withf("document type byte %d is not [a-z0-9-]", i)
		}
	}
	return nil
}
