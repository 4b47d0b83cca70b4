package documents

import (
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/station"
)

// Surat Keterangan Pindah WNI (SKPWNI), the certificate the Dinas of
// origin issues when a family or some of its members move to another
// kabupaten/kota or province (Perpres 96/2018 art. 25; the application
// form is F-1.03 of Permendagri 109/2019, which the certificate repeats:
// the family card it leaves, the origin and destination address, the
// classification and kind of the move, its reason, its planned date,
// and the members who move with NIK, name and relation).
//
// The lists are those of F-1.03 as the Dinas sites publish them
// (disdukcapil.purworejokab.go.id, kecamatanmrebet.purbalinggakab.go.id):
// five classifications, four kinds, seven reasons. Sources disagree on
// how long an SKPWNI is valid (30 days on the Purbalingga page, 100
// working days on the Purworejo one), so the document does not print a
// validity. The number has no published national form; the upstream's
// is free text of at most 40 characters (the simulator sends
// SKPWNI/3374/12012026/0001).
//
// Any member of the family who moves may print it (SubjectMember).
func init() {
	place := func(suffix, id, en string) []station.FieldSpec {
		return []station.FieldSpec{
			text("alamat_"+suffix, "Alamat "+id, en+" address", addressLen),
			{Name: "rt_rw_" + suffix, LabelID: "RT/RW " + id, LabelEN: en + " RT/RW", Required: true, Pattern: rtRWPattern},
			text("kel_desa_"+suffix, "Desa/Kelurahan "+id, en+" village", placeLen),
			text("kecamatan_"+suffix, "Kecamatan "+id, en+" district", placeLen),
			text("kabupaten_kota_"+suffix, "Kabupaten/Kota "+id, en+" regency or city", placeLen),
			text("provinsi_"+suffix, "Provinsi "+id, en+" province", placeLen),
		}
	}
	fields := []station.FieldSpec{
		text("no_skpwni", "Nomor SKPWNI", "Certificate number", placeLen),
		{Name: "no_kk", LabelID: "Nomor KK", LabelEN: "Family card number", Required: true, Pattern: nikPattern, Masked: true},
		personName("nama_kepala_keluarga", "Nama kepala keluarga", "Head of family"),
	}
	fields = append(fields, place("asal", "asal", "Origin")...)
	fields = append(fields, place("tujuan", "tujuan", "Destination")...)
	fields = append(fields,
		station.FieldSpec{Name: "klasifikasi_pindah", LabelID: "Klasifikasi kepindahan", LabelEN: "Classification of the move", Required: true,
			Values: []string{"DALAM SATU DESA/KELURAHAN", "ANTAR DESA/KELURAHAN", "ANTAR KECAMATAN", "ANTAR KABUPATEN/KOTA", "ANTAR PROVINSI"}},
		station.FieldSpec{Name: "jenis_kepindahan", LabelID: "Jenis kepindahan", LabelEN: "Who moves", Required: true,
			Values: []string{"KEPALA KELUARGA", "KEPALA KELUARGA DAN SELURUH ANGGOTA KELUARGA", "KEPALA KELUARGA DAN SEBAGIAN ANGGOTA KELUARGA", "ANGGOTA KELUARGA"}},
		station.FieldSpec{Name: "alasan_pindah", LabelID: "Alasan pindah", LabelEN: "Reason", Required: true,
			Values: []string{"PEKERJAAN", "PENDIDIKAN", "KEAMANAN", "KESEHATAN", "PERUMAHAN", "KELUARGA", "LAINNYA"}},
		date("tanggal_pindah", "Rencana tanggal pindah", "Planned date of the move"),
	)
	station.RegisterDocument(station.DocumentSpec{
		Type:    "skpwni",
		Order:   80,
		TitleID: "Surat Keterangan Pindah WNI",
		TitleEN: "Certificate of Moving",
		Media:   printerd.MediaA4,
		Fields:  append(fields, signedIssue()...),
		Columns: []station.FieldSpec{
			nik("nik", "NIK", "NIK"),
			personName("nama", "Nama lengkap", "Full name"),
			oneOf("hubungan", "SHDK", "Relationship in the family", 16, relations),
		},
		MinRows:     1,
		MaxRows:     10,
		Subject:     station.SubjectMember,
		RequestedBy: []station.Requester{station.RequesterSelf, station.RequesterFamily},
		QR:          station.QRClaims{Number: "no_skpwni", Name: "nama_kepala_keluarga", Issued: "tanggal_terbit"},
	})
}
