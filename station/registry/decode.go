package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"time"
	"unicode"

	"github.com/anjungan/anjungan/station"
)

// Limits on documents.
const (
	MaxImageBytes  = 200 << 10 // decoded photo or signature
	MaxImageWidth  = 1200
	MaxImageHeight = 1600
	maxFields      = 64
	maxRows        = 50 // members of one KK
	maxValueLen    = 256
	maxRequests    = 32
	maxIDLen       = 128
)

// decodeJSON decodes one JSON value and nothing after it.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return station.ErrUpstreamInvalid.With(fmt.Errorf("decoding answer: %w", err))
	}
	if dec.More() {
		return station.ErrUpstreamInvalid.Withf("data after the answer")
	}
	return nil
}

type requestJSON struct {
	RequestID    string `json:"request_id"`
	DocumentType string `json:"document_type"`
	Status       string `json:"status"`
}

type authorizationJSON struct {
	AuthorizationID string        `json:"authorization_id"`
	NIK             string        `json:"nik"`
	Method          string        `json:"method"`
	ExpiresAt       string        `json:"expires_at"`
	Requests        []requestJSON `json:"requests"`
}

func decodeAuthorization(b []byte, method station.AuthMethod) (station.Authorization, error) {
	var in authorizationJSON
	if err := decodeJSON(b, &in); err != nil {
		return station.Authorization{}, err
	}
	invalid := station.ErrUpstreamInvalid
	if !validID(in.AuthorizationID) {
		return station.Authorization{}, invalid.Withf("authorization_id missing or malformed")
	}
	if station.AuthMethod(in.Method) != method {
		return station.Authorization{}, invalid.Withf("method %q, want %q", in.Method, method)
	}
	nik, err := station.ParseNIK(in.NIK)
	if err != nil {
		return station.Authorization{}, invalid.With(fmt.Errorf("authorization nik: %w", err))
	}
	expires, err := time.Parse(time.RFC3339, in.ExpiresAt)
	if err != nil {
		return station.Authorization{}, invalid.With(fmt.Errorf("expires_at: %w", err))
	}
	a := station.Authorization{ID: in.AuthorizationID, Subject: nik, Method: method, Expires: expires}
	if a.Requests, err = decodeRequests(in.Requests); err != nil {
		return station.Authorization{}, err
	}
	return a, nil
}

// decodeRequests checks a list of print requests: bounded, ids well-formed
// and not repeated, known document types and statuses.
func decodeRequests(in []requestJSON) ([]station.PrintRequest, error) {
	invalid := station.ErrUpstreamInvalid
	if len(in) > maxRequests {
		return nil, invalid.Withf("%d requests", len(in))
	}
	var out []station.PrintRequest
	seen := map[string]bool{}
	for _, r := range in {
		d := station.DocumentType(r.DocumentType)
		status := station.RequestStatus(r.Status)
		switch {
		case !validID(r.RequestID) || seen[r.RequestID]:
			return nil, invalid.Withf("request_id missing, malformed or repeated")
		case !d.Valid():
			return nil, invalid.Withf("unknown document type %q", r.DocumentType)
		case status != station.RequestApproved && status != station.RequestPrinted && status != station.RequestInDoubt && status != station.RequestPrinting:
			return nil, invalid.Withf("unknown request status %q", r.Status)
		}
		seen[r.RequestID] = true
		out = append(out, station.PrintRequest{ID: station.RequestID(r.RequestID), Document: d, Status: status})
	}
	return out, nil
}

type documentJSON struct {
	RequestID    string              `json:"request_id"`
	DocumentType string              `json:"document_type"`
	NIK          string              `json:"nik"`
	Fields       map[string]string   `json:"fields"`
	Rows         []map[string]string `json:"rows"`
	Images       map[string]string   `json:"images"`
}

// decodeDocument validates a document answer for request req of the
// authenticated subject. The envelope's nik must be the subject; a
// KTP-el must show the subject; a KK must list the subject among its
// members. Any other flaw is ErrUpstreamInvalid: nothing half-checked
// reaches the renderer.
func decodeDocument(b []byte, subject station.NIK, req station.PrintRequest) (station.Document, error) {
	var in documentJSON
	if err := decodeJSON(b, &in); err != nil {
		return station.Document{}, err
	}
	invalid := station.ErrUpstreamInvalid
	typ := station.DocumentType(in.DocumentType)
	switch {
	case in.RequestID != string(req.ID):
		return station.Document{}, invalid.Withf("document for request %q, asked for %q", in.RequestID, req.ID)
	case !typ.Valid():
		return station.Document{}, invalid.Withf("unknown document type %q", in.DocumentType)
	case typ != req.Document:
		return station.Document{}, invalid.Withf("document type %s, request is for %s", typ, req.Document)
	}
	nik, err := station.ParseNIK(in.NIK)
	if err != nil {
		return station.Document{}, invalid.With(fmt.Errorf("document nik: %w", err))
	}
	if nik != subject {
		return station.Document{}, station.ErrSubjectMismatch.Withf("document for %s, subject is %s", nik, subject)
	}
	spec, _ := station.SpecOf(typ)
	fields, err := checkFields(in.Fields, spec.Fields, maxFields)
	if err != nil {
		return station.Document{}, invalid.With(err)
	}
	rows, err := checkRows(in.Rows, spec)
	if err != nil {
		return station.Document{}, invalid.With(err)
	}
	if err := checkSubject(spec, fields, rows, subject); err != nil {
		return station.Document{}, err
	}
	images, err := decodeImages(in.Images, spec.Images)
	if err != nil {
		return station.Document{}, invalid.With(err)
	}
	return station.Document{
		Request: req.ID,
		Type:    typ,
		Subject: subject,
		Fields:  fields,
		Rows:    rows,
		Images:  images,
	}, nil
}

// checkFields checks the names and values of one field map against the
// spec's fields and returns the normalised values (station.Normalise).
// The cap on the number of fields and on a value's bytes comes first, so
// that an answer's size bounds the work; then a field the spec does not
// name is refused, and every value must obey its field's rule. Errors name
// the field, never its value.
func checkFields(in map[string]string, specs []station.FieldSpec, limit int) (map[string]string, error) {
	if len(in) > limit {
		return nil, fmt.Errorf("%d fields", len(in))
	}
	known := make(map[string]bool, len(specs))
	for _, f := range specs {
		known[f.Name] = true
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if !validName(k) {
			return nil, fmt.Errorf("field name %q", k)
		}
		if !known[k] {
			return nil, fmt.Errorf("unknown field %s", k)
		}
		if len(v) > maxValueLen {
			return nil, fmt.Errorf("field %s longer than %d bytes", k, maxValueLen)
		}
		for _, r := range v {
			// White space is normalised; any other control character is refused.
			if (unicode.IsControl(r) && !unicode.IsSpace(r)) || r == unicode.ReplacementChar {
				return nil, fmt.Errorf("field %s holds a control or invalid character", k)
			}
		}
		out[k] = station.Normalise(v)
	}
	for _, f := range specs {
		if err := f.Check(out[f.Name]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkRows checks a document's table: rows only where the spec has
// columns, within its bounds, each row as checkFields does.
func checkRows(in []map[string]string, spec station.DocumentSpec) ([]map[string]string, error) {
	if len(in) > maxRows {
		return nil, fmt.Errorf("%d rows", len(in))
	}
	if len(spec.Columns) == 0 {
		if len(in) > 0 {
			return nil, fmt.Errorf("rows in a %s", spec.Type)
		}
		return in, nil
	}
	if len(in) < spec.MinRows || (spec.MaxRows > 0 && len(in) > spec.MaxRows) {
		return nil, fmt.Errorf("%d rows in a %s, want %d to %d", len(in), spec.Type, spec.MinRows, spec.MaxRows)
	}
	out := make([]map[string]string, len(in))
	for i, row := range in {
		r, err := checkFields(row, spec.Columns, len(spec.Columns))
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// checkSubject ties the document to the applicant by the spec's Subject
// rule (station.DocumentSpec): a person's NIK must also agree with the
// birth date and sex shown beside it.
func checkSubject(spec station.DocumentSpec, fields map[string]string, rows []map[string]string, subject station.NIK) error {
	invalid := station.ErrUpstreamInvalid
	switch spec.Subject {
	case station.SubjectSelf:
		for _, name := range spec.SubjectNIKs {
			shown, err := personOf(fields, name)
			if err != nil {
				return invalid.With(err)
			}
			if shown == subject {
				return nil
			}
		}
		return station.ErrSubjectMismatch.Withf("%s does not show %s", spec.Type, subject)
	case station.SubjectOther:
		if len(spec.SubjectNIKs) == 0 {
			return invalid.Withf("%s names no subject field", spec.Type)
		}
		shown, err := personOf(fields, spec.SubjectNIKs[0])
		if err != nil {
			return invalid.With(err)
		}
		if shown == subject {
			return invalid.Withf("%s shows the applicant, not another person", spec.Type)
		}
		return nil
	case station.SubjectMember:
		listed := false
		for i, row := range rows {
			member, err := personOf(row, "nik")
			if err != nil {
				return invalid.With(fmt.Errorf("row %d: %w", i, err))
			}
			listed = listed || member == subject
		}
		if !listed {
			return station.ErrSubjectMismatch.Withf("%s does not list %s", spec.Type, subject)
		}
		return nil
	}
	return invalid.Withf("%s has no subject rule", spec.Type)
}

// personOf parses the NIK in field name; when the map also shows the
// person's birth date and sex ("nik" beside "tanggal_lahir" and
// "jenis_kelamin"), they must agree with it.
func personOf(fields map[string]string, name string) (station.NIK, error) {
	if name == "nik" && fields["tanggal_lahir"] != "" && fields["jenis_kelamin"] != "" {
		return checkPerson(fields)
	}
	nik, err := station.ParseNIK(fields[name])
	if err != nil {
		return station.NIK{}, fmt.Errorf("%s: %w", name, err)
	}
	return nik, nil
}

// checkPerson checks that a person's nik parses and agrees with the
// birth date and sex shown next to it: a NIK encodes both.
func checkPerson(fields map[string]string) (station.NIK, error) {
	nik, err := station.ParseNIK(fields["nik"])
	if err != nil {
		return station.NIK{}, fmt.Errorf("nik: %w", err)
	}
	born, err := time.Parse("02-01-2006", fields["tanggal_lahir"])
	if err != nil {
		return station.NIK{}, fmt.Errorf("tanggal_lahir: %w", err)
	}
	if d := nik.BirthDate(born.AddDate(1, 0, 0)); !d.Equal(born) {
		return station.NIK{}, fmt.Errorf("tanggal_lahir does not match the NIK of %s", nik)
	}
	want := "LAKI-LAKI"
	if nik.Female() {
		want = "PEREMPUAN"
	}
	if fields["jenis_kelamin"] != want {
		return station.NIK{}, fmt.Errorf("jenis_kelamin does not match the NIK of %s", nik)
	}
	return nik, nil
}

// decodeImages decodes base64 images and checks they are PNG or JPEG of
// a bounded size, without decoding the pixels.
func decodeImages(in map[string]string, specs []station.ImageSpec) (map[string][]byte, error) {
	allowed := make(map[string]bool, len(specs))
	for _, im := range specs {
		allowed[im.Name] = true
	}
	out := make(map[string][]byte, len(in))
	for name, text := range in {
		if !allowed[name] {
			return nil, fmt.Errorf("unexpected image %q", name)
		}
		if base64.StdEncoding.DecodedLen(len(text)) > MaxImageBytes+3 {
			return nil, fmt.Errorf("image %s larger than %d bytes", name, MaxImageBytes)
		}
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		if len(b) > MaxImageBytes {
			return nil, fmt.Errorf("image %s larger than %d bytes", name, MaxImageBytes)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		if format != "png" && format != "jpeg" {
			return nil, fmt.Errorf("image %s is %s, want PNG or JPEG", name, format)
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageWidth || cfg.Height > MaxImageHeight {
			return nil, fmt.Errorf("image %s of %dx%d px exceeds %dx%d", name, cfg.Width, cfg.Height, MaxImageWidth, MaxImageHeight)
		}
		out[name] = b
	}
	for _, im := range specs {
		if im.Required && out[im.Name] == nil {
			return nil, fmt.Errorf("image %s missing", im.Name)
		}
	}
	return out, nil
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func contains(xs []station.DocumentType, x station.DocumentType) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
