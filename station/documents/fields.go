package documents

import "github.com/anjungan/anjungan/station"

// Patterns of the upstream's coded values.
const (
	nikPattern  = `^[0-9]{16}$`                  // NIK and KK number
	datePattern = `^[0-9]{2}-[0-9]{2}-[0-9]{4}$` // DD-MM-YYYY, as printed
	rtRWPattern = `^[0-9]{3}/[0-9]{3}$`
)

// Bounds in characters (runes), set from the longest values real records
// carry: names with academic and religious titles, the longest regency
// names, addresses as long as the upstream allows (docs/upstream.md).
const (
	nameLen       = 60
	addressLen    = 120
	placeLen      = 40
	occupationLen = 50
)

// The official value lists (SIAK), as the upstream sends them.
var (
	sexes        = []string{"LAKI-LAKI", "PEREMPUAN"}
	bloodGroups  = []string{"A", "B", "AB", "O", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "TIDAK TAHU", "-"}
	religions    = []string{"ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KHONGHUCU", "KEPERCAYAAN TERHADAP TUHAN YME"}
	maritalState = []string{"BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI", "KAWIN TERCATAT", "KAWIN BELUM TERCATAT"}
	educations   = []string{
		"TIDAK/BELUM SEKOLAH", "BELUM TAMAT SD/SEDERAJAT", "TAMAT SD/SEDERAJAT", "SLTP/SEDERAJAT",
		"SLTA/SEDERAJAT", "DIPLOMA I/II", "AKADEMI/DIPLOMA III/S. MUDA", "DIPLOMA IV/STRATA I",
		"STRATA II", "STRATA III",
	}
	relations = []string{
		"KEPALA KELUARGA", "SUAMI", "ISTRI", "ANAK", "MENANTU", "CUCU", "ORANG TUA", "MERTUA",
		"FAMILI LAIN", "PEMBANTU", "LAINNYA",
	}
	citizenships = []string{"WNI", "WNA"}
)

// nik is a NIK field: it identifies a person, so the preview covers it.
func nik(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, Pattern: nikPattern, Masked: true}
}

// personName is a person's name with titles; the preview covers it.
func personName(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: nameLen, Masked: true}
}

func text(name, id, en string, maxLen int) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: maxLen}
}

func date(name, id, en string) station.FieldSpec {
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: 10, Pattern: datePattern}
}

// oneOf is a field whose value is one of an official list; maxLen 0
// means the longest value of the list.
func oneOf(name, id, en string, maxLen int, values []string) station.FieldSpec {
	if maxLen == 0 {
		for _, v := range values {
			maxLen = max(maxLen, len([]rune(v)))
		}
	}
	return station.FieldSpec{Name: name, LabelID: id, LabelEN: en, Required: true, MaxLen: maxLen, Values: values}
}

func optional(f station.FieldSpec) station.FieldSpec {
	f.Required = false
	return f
}

// The fields most documents share.
func sex() station.FieldSpec      { return oneOf("jenis_kelamin", "Jenis Kelamin", "Sex", 0, sexes) }
func religion() station.FieldSpec { return oneOf("agama", "Agama", "Religion", 30, religions) }
func bloodGroup() station.FieldSpec {
	return oneOf("golongan_darah", "Golongan Darah", "Blood group", 0, bloodGroups)
}
func marital() station.FieldSpec {
	return oneOf("status_perkawinan", "Status Perkawinan", "Marital status", 20, maritalState)
}
func citizenship() station.FieldSpec {
	return oneOf("kewarganegaraan", "Kewarganegaraan", "Citizenship", 0, citizenships)
}

// occupation is free text: the public copies of the SIAK occupation list
// disagree on spellings ("PETANI/PEKEBUN", "PETANI/PERKEBUNAN") and lack
// newer entries such as PPPK, so the decoder bounds its length only.
func occupation() station.FieldSpec {
	return text("pekerjaan", "Pekerjaan", "Occupation", occupationLen)
}

func placeOfBirth() station.FieldSpec {
	return text("tempat_lahir", "Tempat Lahir", "Place of birth", placeLen)
}
func dateOfBirth() station.FieldSpec { return date("tanggal_lahir", "Tanggal Lahir", "Date of birth") }

// address is the fields of an address, in the order the forms print them.
func address() []station.FieldSpec {
	return []station.FieldSpec{
		text("alamat", "Alamat", "Address", addressLen),
		{Name: "rt_rw", LabelID: "RT/RW", LabelEN: "RT/RW (neighbourhood)", Required: true, MaxLen: 7, Pattern: rtRWPattern},
		text("kel_desa", "Kel/Desa", "Village", placeLen),
		text("kecamatan", "Kecamatan", "District", placeLen),
		text("kabupaten_kota", "Kabupaten/Kota", "Regency/City", placeLen),
		text("provinsi", "Provinsi", "Province", placeLen),
	}
}

// issue is where and when the document was issued.
func issue() []station.FieldSpec {
	return []station.FieldSpec{
		text("tempat_terbit", "Tempat Terbit", "Place of issue", placeLen),
		date("tanggal_terbit", "Tanggal Terbit", "Date of issue"),
	}
}

func join(parts ...[]station.FieldSpec) []station.FieldSpec {
	var out []station.FieldSpec
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
