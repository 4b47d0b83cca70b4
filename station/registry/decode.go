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

// requiredFields are the fields each document must carry (docs/upstream.md).
var requiredFields = map[station.DocumentType][]string{
	station.KTPEl: {"nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah", "alamat",
		"rt_rw", "kel_desa", "kecamatan", "kabupaten_kota", "provinsi", "agama", "status_perkawinan", "pekerjaan",
		"kewarganegaraan", "berlaku_hingga", "tempat_terbit", "tanggal_terbit"},
	station.KIA: {"nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "no_kk", "nama_kepala_keluarga",
		"no_akta_lahir", "alamat", "rt_rw", "kel_desa", "kecamatan", "kabupaten_kota", "provinsi", "agama",
		"kewarganegaraan", "berlaku_hingga", "tempat_terbit", "tanggal_terbit"},
	station.KK: {"no_kk", "nama_kepala_keluarga", "alamat", "rt_rw", "kel_desa", "kecamatan", "kabupaten_kota",
		"provinsi", "kode_pos", "tanggal_terbit", "pejabat"},
}

// requiredRowFields are the fields of each KK member; no_paspor,
// no_kitap and tanggal_perkawinan (DD-MM-YYYY, or empty) may be left out.
var requiredRowFields = []string{"nama", "nik", "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "agama",
	"pendidikan", "pekerjaan", "golongan_darah", "status_perkawinan", "hubungan", "kewarganegaraan", "nama_ayah", "nama_ibu"}

// requiredImages are the images each document must carry; a KIA has a
// photo only from the age of five, so the renderer decides about it.
var requiredImages = map[station.DocumentType][]string{
	station.KTPEl: {"photo", "signature"},
}

var allowedImages = map[string]bool{"photo": true, "signature": true}

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
	if err := checkFields(in.Fields, requiredFields[typ], maxFields); err != nil {
		return station.Document{}, invalid.With(err)
	}
	if len(in.Rows) > maxRows {
		return station.Document{}, invalid.Withf("%d rows", len(in.Rows))
	}
	for i, row := range in.Rows {
		if err := checkFields(row, requiredRowFields, len(requiredRowFields)+8); err != nil {
			return station.Document{}, invalid.With(fmt.Errorf("row %d: %w", i, err))
		}
	}
	switch typ {
	case station.KTPEl:
		shown, err := checkPerson(in.Fields)
		if err != nil {
			return station.Document{}, invalid.With(err)
		}
		if shown != subject {
			return station.Document{}, station.ErrSubjectMismatch.Withf("KTP-el shows %s, subject is %s", shown, subject)
		}
	case station.KIA:
		child, err := checkPerson(in.Fields)
		if err != nil {
			return station.Document{}, invalid.With(err)
		}
		if child == subject {
			return station.Document{}, invalid.Withf("KIA shows the applicant, not a child")
		}
	case station.KK:
		if len(in.Rows) == 0 {
			return station.Document{}, invalid.Withf("KK without members")
		}
		listed := false
		for i, row := range in.Rows {
			member, err := checkPerson(row)
			if err != nil {
				return station.Document{}, invalid.With(fmt.Errorf("row %d: %w", i, err))
			}
			listed = listed || member == subject
		}
		if !listed {
			return station.Document{}, station.ErrSubjectMismatch.Withf("KK does not list %s", subject)
		}
	}
	if typ != station.KK && len(in.Rows) > 0 {
		return station.Document{}, invalid.Withf("rows in a %s", typ)
	}
	images, err := decodeImages(in.Images, requiredImages[typ])
	if err != nil {
		return station.Document{}, invalid.With(err)
	}
	return station.Document{
		Request: req.ID,
		Type:    typ,
		Subject: subject,
		Fields:  in.Fields,
		Rows:    in.Rows,
		Images:  images,
	}, nil
}

// checkFields checks names and values of one field map and that every
// required field has a value.
func checkFields(fields map[string]string, required []string, limit int) error {
	if len(fields) > limit {
		return fmt.Errorf("%d fields", len(fields))
	}
	for k, v := range fields {
		if !validName(k) {
			return fmt.Errorf("field name %q", k)
		}
		if len(v) > maxValueLen {
			return fmt.Errorf("field %s longer than %d bytes", k, maxValueLen)
		}
		for _, r := range v {
			if unicode.IsControl(r) || r == unicode.ReplacementChar {
				return fmt.Errorf("field %s holds a control or invalid character", k)
			}
		}
	}
	for _, k := range required {
		if fields[k] == "" {
			return fmt.Errorf("field %s missing", k)
		}
	}
	return nil
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
func decodeImages(in map[string]string, required []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(in))
	for name, text := range in {
		if !allowedImages[name] {
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
	for _, name := range required {
		if out[name] == nil {
			return nil, fmt.Errorf("image %s missing", name)
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
