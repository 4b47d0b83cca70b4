package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// The KK: the Kartu Keluarga, on A4 paper, with one table row per member
// of the family. Any member may print it.
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    station.KK,
		Order:   30,
		TitleID: "Kartu Keluarga",
		TitleEN: "Family Card",
		Media:   printerd.MediaA4,
		Fields: join(
			[]station.FieldSpec{
				nik("no_kk", "No. KK", "Family card number"),
				personName("nama_kepala_keluarga", "Nama Kepala Keluarga", "Head of family"),
			},
			address(),
			[]station.FieldSpec{
				{Name: "kode_pos", LabelID: "Kode Pos", LabelEN: "Postal code", Required: true, MaxLen: 5, Pattern: `^[0-9]{5}$`},
				date("tanggal_terbit", "Tanggal Terbit", "Date of issue"),
				{Name: "pejabat", LabelID: "Kepala Dinas", LabelEN: "Head of the civil registry office", Required: true, MaxLen: nameLen},
			},
		),
		Columns: []station.FieldSpec{
			personName("nama", "Nama Lengkap", "Full name"),
			nik("nik", "NIK", "NIK"),
			sex(),
			placeOfBirth(),
			dateOfBirth(),
			religion(),
			oneOf("pendidikan", "Pendidikan", "Education", 28, educations),
			occupation(),
			optional(bloodGroup()),
			marital(),
			{Name: "tanggal_perkawinan", LabelID: "Tanggal Perkawinan", LabelEN: "Date of marriage", MaxLen: 10, Pattern: `^([0-9]{2}-[0-9]{2}-[0-9]{4})?$`},
			oneOf("hubungan", "Status Hubungan dalam Keluarga", "Relationship in the family", 16, relations),
			citizenship(),
			optional(text("no_paspor", "No. Paspor", "Passport number", 16)),
			optional(text("no_kitap", "No. KITAP", "KITAP number", 16)),
			personName("nama_ayah", "Nama Ayah", "Father's name"),
			personName("nama_ibu", "Nama Ibu", "Mother's name"),
		},
		MinRows:     1,
		MaxRows:     50,
		Subject:     station.SubjectMember,
		SubjectNIKs: []string{"nik"},
		RequestedBy: []station.Requester{station.RequesterSelf, station.RequesterFamily},
		QR:          station.QRClaims{Number: "no_kk", Name: "nama_kepala_keluarga", Issued: "tanggal_terbit"},
	})
}
