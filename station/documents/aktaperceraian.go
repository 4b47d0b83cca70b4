package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Kutipan Akta Perceraian, the extract of the divorce register
// (Permendagri 109/2019). Number: region code, "CR" (cerai), date of
// registration, serial: 3374-CR-02092025-0001.
//
// A divorce is registered on a court decision that has become final:
// the Pengadilan Negeri's for marriages registered at the Dinas (the
// Pengadilan Agama issues its own Akta Cerai for Muslim marriages, which
// this document is not). The kutipan states: "bahwa perkawinan antara
// {suami}, NIK …, dan {istri}, NIK …, yang dilangsungkan di {tempat} pada
// tanggal {tanggal} dan tercatat dengan Akta Perkawinan Nomor {no},
// berdasarkan putusan {pengadilan} Nomor {putusan} tanggal {tanggal
// putusan} telah putus karena perceraian". The decision's number has the
// court's own form ("123/Pdt.G/2025/PN Smg"): free text of at most 50
// characters. Either former spouse may print it.
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    "akta-perceraian",
		Order:   70,
		TitleID: "Akta Perceraian",
		TitleEN: "Divorce Certificate",
		Media:   printerd.MediaA4,
		Fields: append([]station.FieldSpec{
			{Name: "no_akta", LabelID: "Nomor Akta Perceraian", LabelEN: "Divorce certificate number", Required: true,
				Pattern: `^[0-9]{4}-CR-[0-9]{8}-[0-9]{4}$`},
			nik("nik_suami", "NIK suami", "Husband's NIK"),
			personName("nama_suami", "Nama suami", "Husband's name"),
			nik("nik_istri", "NIK istri", "Wife's NIK"),
			personName("nama_istri", "Nama istri", "Wife's name"),
			{Name: "no_akta_perkawinan", LabelID: "Nomor Akta Perkawinan", LabelEN: "Marriage certificate number", Required: true,
				Pattern: `^[0-9]{4}-KW-[0-9]{8}-[0-9]{4}$`},
			text("tempat_perkawinan", "Tempat perkawinan", "Place of marriage", placeLen),
			date("tanggal_perkawinan", "Tanggal perkawinan", "Date of marriage"),
			text("pengadilan", "Pengadilan", "Court", nameLen),
			text("no_putusan", "Nomor putusan pengadilan", "Court decision number", 50),
			date("tanggal_putusan", "Tanggal putusan", "Date of the decision"),
		}, signedIssue()...),
		Subject:     station.SubjectSelf,
		SubjectNIKs: []string{"nik_suami", "nik_istri"},
		RequestedBy: []station.Requester{station.RequesterSelf},
		QR:          station.QRClaims{Number: "no_akta", Name: "nama_suami", Issued: "tanggal_terbit"},
	})
}
