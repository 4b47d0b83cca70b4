package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// The KIA: the identity card of a child under 17, printed on an ID-1
// card. A parent prints it for the child, so the card shows someone other
// than the applicant.
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    station.KIA,
		Order:   20,
		TitleID: "KIA",
		TitleEN: "KIA (child identity card)",
		Media:   printerd.MediaCard,
		Fields: join(
			[]station.FieldSpec{
				nik("nik", "NIK", "NIK"),
				personName("nama", "Nama", "Name"),
				placeOfBirth(),
				dateOfBirth(),
				sex(),
				nik("no_kk", "No. KK", "Family card number"),
				personName("nama_kepala_keluarga", "Nama Kepala Keluarga", "Head of family"),
				text("no_akta_lahir", "No. Akta Kelahiran", "Birth certificate number", 30),
			},
			address(),
			[]station.FieldSpec{
				religion(),
				citizenship(),
				date("berlaku_hingga", "Berlaku Hingga", "Valid until"),
			},
			issue(),
		),
		// The photo is printed only from the age of five; the template decides.
		Images:      []station.ImageSpec{{Name: "photo"}},
		Subject:     station.SubjectOther,
		SubjectNIKs: []string{"nik"},
		RequestedBy: []station.Requester{station.RequesterParent},
		QR:          station.QRClaims{Number: "nik", Name: "nama", Issued: "tanggal_terbit"},
	})
}
