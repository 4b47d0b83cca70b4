package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Kutipan Akta Perkawinan, the extract of the marriage register
// (Permendagri 109/2019). Number: region code, "KW" (kawin), date of
// registration, serial: 3171-KW-14022025-0003.
//
// The Dinas Dukcapil registers the marriages of those who are not
// Muslim; a Muslim marriage is registered by the KUA, which issues the
// Buku Nikah, not this akta (UU 23/2006 art. 34 and 8(2)). The agama
// field takes the whole official list nonetheless, as the register does;
// the simulator marries only non-Muslim couples.
//
// The kutipan states: "bahwa di {tempat} pada tanggal {tanggal} telah
// dicatat perkawinan menurut agama {agama} antara {suami}, NIK …, dan
// {istri}, NIK …". Either spouse may print it (SubjectSelf over both
// NIKs).
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    "akta-perkawinan",
		Order:   60,
		TitleID: "Akta Perkawinan",
		TitleEN: "Marriage Certificate",
		Media:   printerd.MediaA4,
		Fields: append([]station.FieldSpec{
			{Name: "no_akta", LabelID: "Nomor Akta Perkawinan", LabelEN: "Marriage certificate number", Required: true,
				Pattern: `^[0-9]{4}-KW-[0-9]{8}-[0-9]{4}$`},
			nik("nik_suami", "NIK suami", "Husband's NIK"),
			personName("nama_suami", "Nama suami", "Husband's name"),
			nik("nik_istri", "NIK istri", "Wife's NIK"),
			personName("nama_istri", "Nama istri", "Wife's name"),
			religion(),
			text("tempat_perkawinan", "Tempat perkawinan", "Place of marriage", placeLen),
			date("tanggal_perkawinan", "Tanggal perkawinan", "Date of marriage"),
		}, signedIssue()...),
		Subject:     station.SubjectSelf,
		SubjectNIKs: []string{"nik_suami", "nik_istri"},
		RequestedBy: []station.Requester{station.RequesterSelf},
		QR:          station.QRClaims{Number: "no_akta", Name: "nama_suami", Issued: "tanggal_terbit"},
	})
}
