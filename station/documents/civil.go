package documents

import "github.com/anjungan/anjungan/station"

// The field rules the civil-registry documents (akta kelahiran, kematian,
// perkawinan, perceraian and the SKPWNI) share. Bounds are in runes, as
// the templates' boxes are sized for them: a person's name 60, a place or
// region 40, an address 120, an official's name 60.

const (
	civilNIKPattern  = `^[0-9]{16}$`
	civilDatePattern = `^[0-9]{2}-[0-9]{2}-[0-9]{4}$` // DD-MM-YYYY, as printed
)

// civilSexes are the values of jenis_kelamin, as the KTP-el prints them.
var civilSexes = []string{"LAKI-LAKI", "PEREMPUAN"}

// civilReligions is the official list of agama (UU 24/2013 as read with
// Putusan MK 97/PUU-XIV/2016, which added the Kepercayaan).
var civilReligions = []string{"ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KHONGHUCU", "KEPERCAYAAN TERHADAP TUHAN YME"}

// civilNIK is a required NIK that identifies a person: masked in the preview.
func civilNIK(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, Pattern: civilNIKPattern, Masked: true}
}

// civilName is a required person's name: masked in the preview.
func civilName(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: 60, Masked: true}
}

// civilDate is a required date, DD-MM-YYYY.
func civilDate(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, Pattern: civilDatePattern}
}

// civilText is required free text of at most max runes.
func civilText(name, id, en string, max int) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: max}
}

// civilIssue are the fields that close every kutipan: where and when it
// was issued and the head of the Dinas who signs it (electronically,
// since Permendagri 7/2019: hence the QR).
func civilIssue() []station.FieldSpec {
	return []station.FieldSpec{
		civilText("tempat_terbit", "Dikeluarkan di", "Issued at", 40),
		civilDate("tanggal_terbit", "Tanggal terbit", "Date of issue"),
		civilText("pejabat", "Pejabat", "Official", 60),
	}
}
