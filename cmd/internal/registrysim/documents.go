package registrysim

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/anjungan/anjungan/station"
)

// documentJSON is the wire form of one document (docs/upstream.md).
type documentJSON struct {
	RequestID    string               `json:"request_id"`
	DocumentType station.DocumentType `json:"document_type"`
	NIK          string               `json:"nik"`
	Fields       map[string]string    `json:"fields"`
	Rows         []map[string]string  `json:"rows"`
	Images       map[string]string    `json:"images"`
}

const dateLayout = "02-01-2006" // DD-MM-YYYY, as printed

// docGenerator fills in the fields, rows and images of one document type
// for subject, the person it shows.
type docGenerator func(d *documentJSON, subject *person, issued time.Time)

// generators makes each document type the simulator serves; every
// registered spec has one (TestEverySpecHasAGenerator).
var generators = map[station.DocumentType]docGenerator{
	station.KTPEl: ktpEl,
	station.KIA:   kia,
	station.KK:    kk,
}

// document builds the data of one request. applicant is the
// authenticated citizen; subject is whom the document shows (the same
// person except for a document about another, such as a child's KIA).
func document(req requestRecord, applicant, subject *person, issued time.Time) documentJSON {
	d := documentJSON{
		RequestID:    req.ID,
		DocumentType: req.Document,
		NIK:          applicant.NIK.Reveal(),
		Fields:       map[string]string{},
		Rows:         []map[string]string{},
		Images:       map[string]string{},
	}
	if g := generators[req.Document]; g != nil {
		g(&d, subject, issued)
	}
	return d
}

// forChild reports whether document type t is requested by a parent and
// shows the parent's child.
func forChild(t station.DocumentType) bool {
	spec, _ := station.SpecOf(t)
	return spec.Subject == station.SubjectOther && slices.Contains(spec.RequestedBy, station.RequesterParent)
}

// showsAnother reports whether document type t shows someone other than
// the applicant.
func showsAnother(t station.DocumentType) bool {
	spec, _ := station.SpecOf(t)
	return spec.Subject == station.SubjectOther
}

// addressOf is the address fields of a family.
func addressOf(f *family) map[string]string {
	return map[string]string{
		"alamat":         fmt.Sprintf("%s NO. %d", f.Street, f.Number),
		"rt_rw":          fmt.Sprintf("%03d/%03d", f.RT, f.RW),
		"kel_desa":       f.Village.Name,
		"kecamatan":      f.District.Name,
		"kabupaten_kota": f.District.City.Name,
		"provinsi":       f.District.City.Province.Name,
	}
}

func ktpEl(d *documentJSON, subject *person, issued time.Time) {
	f := subject.Family
	d.Fields = map[string]string{
		"nik":               subject.NIK.Reveal(),
		"nama":              subject.Name,
		"tempat_lahir":      subject.BirthPlace,
		"tanggal_lahir":     subject.BirthDate.Format(dateLayout),
		"jenis_kelamin":     sex(subject),
		"golongan_darah":    subject.Blood,
		"agama":             subject.Religion,
		"status_perkawinan": subject.Marital,
		"pekerjaan":         subject.Job,
		"kewarganegaraan":   "WNI",
		"berlaku_hingga":    "SEUMUR HIDUP",
		"tempat_terbit":     f.District.City.Short,
		"tanggal_terbit":    issued.Format(dateLayout),
	}
	maps.Copy(d.Fields, addressOf(f))
	d.Images["photo"] = base64.StdEncoding.EncodeToString(photoPNG(subject))
	d.Images["signature"] = base64.StdEncoding.EncodeToString(signaturePNG(subject))
}

func kia(d *documentJSON, subject *person, issued time.Time) {
	f := subject.Family
	d.Fields = map[string]string{
		"nik":                  subject.NIK.Reveal(),
		"nama":                 subject.Name,
		"tempat_lahir":         subject.BirthPlace,
		"tanggal_lahir":        subject.BirthDate.Format(dateLayout),
		"jenis_kelamin":        sex(subject),
		"no_kk":                f.KK,
		"nama_kepala_keluarga": f.head().Name,
		"no_akta_lahir":        subject.BirthCert,
		"agama":                subject.Religion,
		"kewarganegaraan":      "WNI",
		"berlaku_hingga":       subject.BirthDate.AddDate(17, 0, 0).Format(dateLayout),
		"tempat_terbit":        f.District.City.Short,
		"tanggal_terbit":       issued.Format(dateLayout),
	}
	maps.Copy(d.Fields, addressOf(f))
	// A KIA carries a photo only from the age of five.
	if age(subject.BirthDate, issued) >= 5 {
		d.Images["photo"] = base64.StdEncoding.EncodeToString(photoPNG(subject))
	}
}

func kk(d *documentJSON, subject *person, issued time.Time) {
	f := subject.Family
	d.Fields = map[string]string{
		"no_kk":                f.KK,
		"nama_kepala_keluarga": f.head().Name,
		"kode_pos":             f.Village.PostalCode,
		"tanggal_terbit":       issued.Format(dateLayout),
		"pejabat":              officials[f.District.City.Code],
	}
	maps.Copy(d.Fields, addressOf(f))
	for _, m := range f.Members {
		d.Rows = append(d.Rows, map[string]string{
			"nama":              m.Name,
			"nik":               m.NIK.Reveal(),
			"jenis_kelamin":     sex(m),
			"tempat_lahir":      m.BirthPlace,
			"tanggal_lahir":     m.BirthDate.Format(dateLayout),
			"agama":             m.Religion,
			"pendidikan":        m.Education,
			"pekerjaan":         m.Job,
			"golongan_darah":    m.Blood,
			"status_perkawinan": m.Marital,
			"hubungan":          m.Relation,
			"kewarganegaraan":   "WNI",
			"no_paspor":         "-",
			"no_kitap":          "-",
			"nama_ayah":         m.Father,
			"nama_ibu":          m.Mother,
		})
	}
}

func sex(p *person) string {
	if p.Female {
		return "PEREMPUAN"
	}
	return "LAKI-LAKI"
}
