package station

import (
	"fmt"
	"sort"
	"sync"

	"github.com/anjungan/anjungan/printerd"
)

// DocumentSpec is everything the station knows about one document type:
// its names, its media, the data the upstream sends for it and the rules
// that data obeys, which of it the kiosk covers in its preview, who may
// request it and what its QR claims. The upstream decoder, the renderer,
// docqr, the kiosk, the simulator, anjunganctl and docs/schemas all read
// the registered specs; nothing else lists a document type's fields.
//
// Specs are registered once, from the init function of the package that
// defines them (station/documents), like image.RegisterFormat.
type DocumentSpec struct {
	Type    DocumentType
	Order   int    // display order on the kiosk, smallest first
	TitleID string // the document's name in Bahasa Indonesia ("Kartu Keluarga")
	TitleEN string // and in English ("Family Card")
	Media   printerd.Media

	Fields  []FieldSpec // Document.Fields
	Columns []FieldSpec // Document.Rows: the columns of the document's table (a KK's members)
	MinRows int         // rows required when Columns is set
	MaxRows int         // the most rows the upstream may send
	Images  []ImageSpec // Document.Images

	// Subject says how the document is tied to the applicant (the citizen
	// who logged in), which the upstream decoder checks:
	//   SubjectSelf:   one of the fields in SubjectNIKs holds the applicant's NIK
	//                  (KTP-el: "nik"; akta perkawinan: "nik_suami" or "nik_istri");
	//   SubjectOther:  the first field in SubjectNIKs holds a valid NIK that is not
	//                  the applicant's (a parent prints a child's KIA, an heir an akta kematian);
	//   SubjectMember: some row's "nik" is the applicant's (KK, SKPWNI).
	Subject     SubjectRule
	SubjectNIKs []string
	RequestedBy []Requester

	// QR names the fields whose values the document's signed QR claims:
	// Number and Name (docs/document-qr.md, keys 2 and 3) and Issued (key 4).
	QR QRClaims
}

// FieldSpec is one field or table column of a document: its name in the
// upstream's JSON, its label, and the rule its value obeys. Values are
// normalised before they are checked (Normalise).
type FieldSpec struct {
	Name     string
	LabelID  string
	LabelEN  string
	Required bool     // a blank value is refused
	MaxLen   int      // in characters (runes), after normalising; 0 means the decoder's general cap
	Values   []string // the official value list; empty means free text
	Pattern  string   // a regular expression the whole value matches (e.g. `^[0-9]{16}$`); empty means none
	Masked   bool     // identifies a person; covered in the kiosk's preview
}

// ImageSpec is one image of a document.
type ImageSpec struct {
	Name     string // "photo", "signature"
	Required bool
}

// SubjectRule says how a document is tied to the applicant.
type SubjectRule string

// Subject rules.
const (
	SubjectSelf   SubjectRule = "self"   // a SubjectNIKs field equals the applicant's NIK
	SubjectOther  SubjectRule = "other"  // SubjectNIKs[0] differs: a parent for a child, an heir for the deceased
	SubjectMember SubjectRule = "member" // some row's "nik" equals the applicant's NIK
)

// Requester is who may ask for a document type.
type Requester string

// Requesters.
const (
	RequesterSelf   Requester = "self"   // the person the document is about
	RequesterParent Requester = "parent" // a parent, for a child
	RequesterFamily Requester = "family" // a member of the same family (KK)
)

// QRClaims names the fields the document QR claims.
type QRClaims struct {
	Number string // the document's number: "nik", "no_kk", "no_akta"
	Name   string // the person it names: "nama", "nama_kepala_keluarga"
	Issued string // its issue date, DD-MM-YYYY: "tanggal_terbit"
}

var (
	specsMu sync.RWMutex
	specs   = map[DocumentType]DocumentSpec{}
)

// RegisterDocument makes a document type known. It panics when the type
// is already registered or the spec is malformed: both are programming
// errors found when the program starts.
func RegisterDocument(s DocumentSpec) {
	if s.Type == "" || s.TitleID == "" || s.TitleEN == "" || s.Media == "" {
		panic(fmt.Sprintf("station: document spec %q lacks a type, title or media", s.Type))
	}
	checkFieldSpecs(s.Type, s.Fields)
	checkFieldSpecs(s.Type, s.Columns)
	specsMu.Lock()
	defer specsMu.Unlock()
	if _, dup := specs[s.Type]; dup {
		panic(fmt.Sprintf("station: document type %q registered twice", s.Type))
	}
	specs[s.Type] = s
}

// SpecOf returns the registered spec of document type t.
func SpecOf(t DocumentType) (DocumentSpec, bool) {
	specsMu.RLock()
	defer specsMu.RUnlock()
	s, ok := specs[t]
	return s, ok
}

// Specs returns every registered spec in display order.
func Specs() []DocumentSpec {
	specsMu.RLock()
	out := make([]DocumentSpec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	specsMu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Type < out[j].Type
	})
	return out
}
