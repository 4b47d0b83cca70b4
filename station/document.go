package station

import "github.com/anjungan/anjungan/printerd"

// DocumentType is a kind of identity document the station prints.
type DocumentType string

// The documents a station prints.
const (
	KTPEl DocumentType = "ktp-el" // Kartu Tanda Penduduk elektronik, ID-1 card
	KIA   DocumentType = "kia"    // Kartu Identitas Anak, ID-1 card
	KK    DocumentType = "kk"     // Kartu Keluarga, A4 paper
)

// DocumentTypes lists every registered document type in display order.
func DocumentTypes() []DocumentType {
	specs := Specs()
	out := make([]DocumentType, len(specs))
	for i, s := range specs {
		out[i] = s.Type
	}
	return out
}

// Valid reports whether d is a registered document type.
func (d DocumentType) Valid() bool {
	_, ok := SpecOf(d)
	return ok
}

// Title is the document's name as citizens know it, in Bahasa Indonesia.
func (d DocumentType) Title() string {
	if s, ok := SpecOf(d); ok {
		return s.TitleID
	}
	return string(d)
}

// TitleEN is the document's name in English.
func (d DocumentType) TitleEN() string {
	if s, ok := SpecOf(d); ok {
		return s.TitleEN
	}
	return string(d)
}

// Media is the printer media the document is printed on; empty for a
// type that is not registered.
func (d DocumentType) Media() printerd.Media {
	s, _ := SpecOf(d)
	return s.Media
}

// RequestID identifies one approved print request at the upstream registry.
type RequestID string

// RequestStatus is where an approved print request stands.
type RequestStatus string

// Request statuses, as the upstream reports them.
const (
	RequestApproved RequestStatus = "approved" // may be printed
	RequestPrinted  RequestStatus = "printed"  // printed and confirmed
	RequestInDoubt  RequestStatus = "in_doubt" // outcome unknown; a supervisor decides
	RequestPrinting RequestStatus = "printing" // held for a print at a kiosk until it is settled
)

// PrintRequest is a document the upstream approved for printing.
type PrintRequest struct {
	ID       RequestID
	Document DocumentType
	Status   RequestStatus
}

// Document is the data of one approved document, as the templates use it:
// named text fields, table rows (the members of a KK) and images (photo,
// signature), all already validated by the registry adapter.
type Document struct {
	Request RequestID
	Type    DocumentType
	Subject NIK                 // the citizen the document belongs to
	Fields  map[string]string   // e.g. "nama", "alamat", "berlaku_hingga"
	Rows    []map[string]string // KK members, in order
	Images  map[string][]byte   // PNG or JPEG, e.g. "photo", "signature"
}

// Rendered is a document rendered to its single source of truth: one PDF.
type Rendered struct {
	PDF    []byte
	SHA256 string // hex of the PDF's SHA-256
	Pages  int
	Masks  []Mask // regions the kiosk covers in its preview
}

// Mask is a region of a rendered page that the kiosk covers in its preview,
// so that people standing nearby cannot read it (the citizen's name). The
// printed document is not changed. Coordinates are fractions of the page's
// width and height, from its top-left corner.
type Mask struct {
	Page int     `json:"page"` // from 0
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
}
