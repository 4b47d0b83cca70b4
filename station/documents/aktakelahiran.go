package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Kutipan Akta Kelahiran, the extract of the birth register a Dinas
// Dukcapil issues on HVS A4 (blangko and wording: Permendagri 109/2019
// on forms and books of civil administration, which replaced
// Permendagri 118/2017 on blangko KK, register and kutipan akta; the
// Dukcapil samples printed since 2019 carry the electronic signature's
// QR instead of a wet signature and seal).
//
// Its number is the issuing region's code, "LT" (lahir), the date of
// registration and a serial: 3171-LT-01012024-0001. Older akta (before
// 2016) have numbers like 474.1/12345/2010 and are reissued in the new
// form when printed, so the pattern accepts only the current form.
//
// The kutipan states the birth in one sentence: "bahwa di {tempat} pada
// tanggal {tanggal} telah lahir {nama}, anak ke-{n}, {jenis kelamin}
// dari ayah {ayah} dan ibu {ibu}". The samples write the child's order
// in words ("anak kesatu") on older blangko and in digits on newer ones;
// the upstream sends digits and the template prints "anak ke-2". The
// parents' NIKs are data the decoder checks the applicant against (a
// parent may print the child's akta), not printed: the kutipan names the
// parents only. A child registered without a father ("anak seorang ibu")
// has "-" for nama_ayah and nik_ayah.
func init() {
	station.RegisterDocument(station.DocumentSpec{
		Type:    "akta-kelahiran",
		Order:   40,
		TitleID: "Akta Kelahiran",
		TitleEN: "Birth Certificate",
		Media:   printerd.MediaA4,
		Fields: append([]station.FieldSpec{
			{Name: "no_akta", LabelID: "Nomor Akta Kelahiran", LabelEN: "Birth certificate number", Required: true,
				Pattern: `^[0-9]{4}-LT-[0-9]{8}-[0-9]{4}$`},
			nik("nik", "NIK", "NIK"),
			personName("nama", "Nama", "Name"),
			text("tempat_lahir", "Tempat lahir", "Place of birth", placeLen),
			date("tanggal_lahir", "Tanggal lahir", "Date of birth"),
			sex(),
			{Name: "anak_ke", LabelID: "Anak ke-", LabelEN: "Child number", Required: true, Pattern: `^[1-9][0-9]?$`},
			personName("nama_ayah", "Nama ayah", "Father's name"),
			{Name: "nik_ayah", LabelID: "NIK ayah", LabelEN: "Father's NIK", Required: true, Pattern: `^([0-9]{16}|-)$`, Masked: true},
			personName("nama_ibu", "Nama ibu", "Mother's name"),
			nik("nik_ibu", "NIK ibu", "Mother's NIK"),
		}, signedIssue()...),
		Subject:     station.SubjectSelf,
		SubjectNIKs: []string{"nik", "nik_ayah", "nik_ibu"},
		RequestedBy: []station.Requester{station.RequesterSelf, station.RequesterParent},
		QR:          station.QRClaims{Number: "no_akta", Name: "nama", Issued: "tanggal_terbit"},
	})
}
