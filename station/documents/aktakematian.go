package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Kutipan Akta Kematian, the extract of the death register (blangko and
// wording: Permendagri 109/2019, as aktakelahiran.go). Number: region
// code, "KM" (kematian), date of registration, serial:
// 3374-KM-15032025-0012.
//
// The kutipan states: "bahwa di {tempat} pada tanggal {tanggal} telah
// meninggal dunia {nama}, NIK {nik}, lahir di {tempat lahir} tanggal
// {tanggal lahir}, {jenis kelamin}". Dukcapil samples differ on whether
// the birth is printed: the 2017 blangko has it, some regional samples
// after 2019 show only name, NIK and the death; this spec keeps it, as
// it tells two people of the same name apart. The time of death, which
// the register holds, is not on the kutipan.
//
// The deceased cannot ask: a member of the family (an heir) does, so the
// deceased's NIK must be a valid NIK that is not the applicant's
// (SubjectOther).
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    "akta-kematian",
		Order:   50,
		TitleID: "Akta Kematian",
		TitleEN: "Death Certificate",
		Media:   printerd.MediaA4,
		Fields: append([]station.FieldSpec{
			{Name: "no_akta", LabelID: "Nomor Akta Kematian", LabelEN: "Death certificate number", Required: true,
				Pattern: `^[0-9]{4}-KM-[0-9]{8}-[0-9]{4}$`},
			nik("nik", "NIK", "NIK"),
			personName("nama", "Nama", "Name"),
			sex(),
			text("tempat_lahir", "Tempat lahir", "Place of birth", placeLen),
			date("tanggal_lahir", "Tanggal lahir", "Date of birth"),
			text("tempat_meninggal", "Tempat meninggal", "Place of death", placeLen),
			date("tanggal_meninggal", "Tanggal meninggal", "Date of death"),
		}, signedIssue()...),
		Subject:     station.SubjectOther,
		SubjectNIKs: []string{"nik"},
		RequestedBy: []station.Requester{station.RequesterFamily},
		QR:          station.QRClaims{Number: "no_akta", Name: "nama", Issued: "tanggal_terbit"},
	})
}
