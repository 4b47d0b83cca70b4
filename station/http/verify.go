package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
	"github.com/anjungan/anjungan/station/docqr"
)

// DocumentVerifier checks the QR text printed on a document (see
// station/docqr and docs/document-qr.md).
type DocumentVerifier interface {
	Verify(text string) (docqr.Claims, error)
}

var _ DocumentVerifier = (*docqr.Verifier)(nil)

// verifyResult is the answer of POST /api/verify. A code that does not
// verify is an answer, not an error: valid is false and error says why
// in words for the reader.
type verifyResult struct {
	Valid    bool       `json:"valid"`
	Document string     `json:"document,omitempty"` // ktp-el, kia, kk
	Title    string     `json:"title,omitempty"`
	Number   string     `json:"number,omitempty"` // masked
	Name     string     `json:"name,omitempty"`
	Issued   string     `json:"issued,omitempty"`
	KeyID    string     `json:"key_id,omitempty"`
	Error    *errorJSON `json:"error,omitempty"`
}

// MountVerify serves the document verification page on app: GET /verify
// (paste or scan a document's QR text) and POST /api/verify
// ({"text": "DQ1:…"}). Register it before the static file handler.
func MountVerify(app *fiber.App, v DocumentVerifier) {
	app.Get("/verify", func(c *fiber.Ctx) error {
		page, err := assets.ReadFile("assets/verify.html")
		if err != nil {
			return err
		}
		c.Type("html", "utf-8")
		return c.Send(page)
	})
	app.Post("/api/verify", func(c *fiber.Ctx) error {
		var in struct {
			Text string `json:"text"`
		}
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		claims, err := v.Verify(in.Text)
		if err != nil {
			e := fault.As(err)
			// Only a refused code is an answer; anything else is a fault.
			if e.Code != docqr.ErrInvalid.Code {
				return err
			}
			return c.JSON(verifyResult{Error: errorJSONOf(e)})
		}
		return c.JSON(verifyResult{
			Valid:    true,
			Document: string(claims.Type),
			Title:    claims.Type.Title(),
			Number:   claims.MaskedNumber(),
			Name:     claims.Name,
			Issued:   claims.Issued,
			KeyID:    claims.KeyID,
		})
	})
}
