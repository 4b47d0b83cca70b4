package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// The KTP-el: the electronic identity card of every resident from 17 (or
// married), printed on an ID-1 card. Only its holder may print it.
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    station.KTPEl,
		Order:   10,
		TitleID: "KTP-el",
		TitleEN: "KTP-el (identity card)",
		Media:   printerd.MediaCard,
		Fields: join(
			[]station.FieldSpec{
				nik("nik", "NIK", "NIK"),
				personName("nama", "Nama", "Name"),
				placeOfBirth(),
				dateOfBirth(),
				sex(),
				bloodGroup(),
			},
			address(),
			[]station.FieldSpec{
				religion(),
				marital(),
				occupation(),
				citizenship(),
				{Name: "berlaku_hingga", LabelID: "Berlaku Hingga", LabelEN: "Valid until", Required: true, MaxLen: 12,
					Pattern: `^(SEUMUR HIDUP|[0-9]{2}-[0-9]{2}-[0-9]{4})$`},
			},
			issue(),
		),
		Images: []station.ImageSpec{
			{Name: "photo", Required: true},
			{Name: "signature", Required: true},
		},
		Subject:     station.SubjectSelf,
		SubjectNIKs: []string{"nik"},
		RequestedBy: []station.Requester{station.RequesterSelf},
		QR:          station.QRClaims{Number: "nik", Name: "nama", Issued: "tanggal_terbit"},
	})
}
