package documents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anjungan/anjungan/station"
)

// sample is a document in the sample form anjunganctl render -in and the
// render tests read: images are file names beside it.
type sample struct {
	Type    station.DocumentType `json:"type"`
	Subject string               `json:"subject"`
	Fields  map[string]string    `json:"fields"`
	Rows    []map[string]string  `json:"rows,omitempty"`
	Images  map[string]string    `json:"images,omitempty"`
}

// longText is the realistic long value a free-text field is filled from,
// cut or extended to the field's bound: names with titles, the longest
// regency names, addresses as long as the upstream allows.
var longText = map[string]string{
	"nama":                 "PROF. DR. H. MUHAMMAD RIZKY ABDURRAHMAN WICAKSONO PUTRA, S.H., M.KN.",
	"nama_kepala_keluarga": "DRS. H. RADEN MAS ABDUL WAHYUDI KUSUMANINGRAT SOEDIRDJO, M.SI.",
	"nama_ayah":            "KOLONEL (PURN.) H. ANDI MUHAMMAD SYAHRUL RAMADHAN DAENG MAPPUJI",
	"nama_ibu":             "HJ. RADEN AJENG SITI NURHALIZA KUSUMAWARDHANI PURBANEGARA, S.E.",
	"pejabat":              "DR. IR. H. BAMBANG HERU PRASETYO WIBISONO SOEMARSONO, M.T., M.M.",
	"alamat":               "JL. JENDERAL SUDIRMAN KAV. 52-53 KOMPLEKS PERUMAHAN GRIYA KENCANA PERMAI BLOK C-12 NO. 117 GANG MAWAR II RT 003 RW 005 DUSUN KRAJAN",
	"tempat_lahir":         "KEPULAUAN SIAU TAGULANDANG BIARO SELATAN",
	"tempat_terbit":        "KAB. ADM. KEPULAUAN SIAU TAGULANDANG BIARO",
	"kel_desa":             "KELURAHAN PEGANGSAAN DUA KELAPA GADING TIMUR",
	"kecamatan":            "KECAMATAN TAGULANDANG UTARA KEPULAUAN SIAU",
	"kabupaten_kota":       "KAB. KEPULAUAN SIAU TAGULANDANG BIARO UTARA",
	"provinsi":             "PROVINSI KEPULAUAN BANGKA BELITUNG SELATAN",
	"pekerjaan":            "PEGAWAI PEMERINTAH DENGAN PERJANJIAN KERJA (PPPK) GURU",
	"no_akta_lahir":        "3171-LT-05062015-0001234-AB-2015",
	"no_paspor":            "C1234567AB987654321",
	"no_kitap":             "2C11AA0123456789012",
	"pengadilan":           "PENGADILAN NEGERI KEPULAUAN SIAU TAGULANDANG BIARO DI ONDONG SIAU",
	"no_putusan":           "1234/Pdt.G/2025/PN Jkt.Sel jo. 567/PDT/2025/PT DKI jo. 89 K/Pdt/2026",
	"no_skpwni":            "SKPWNI/3174/31122026/0001234/DISDUKCAPIL/ADM",
}

// longTextAs fills the civil-registry fields from longText: the spouses'
// names as the parents', places of death and marriage as of birth, an
// SKPWNI's origin and destination as an address.
var longTextAs = map[string]string{
	"nama_suami": "nama_ayah", "nama_istri": "nama_ibu",
	"tempat_meninggal": "tempat_lahir", "tempat_perkawinan": "tempat_lahir",
}

var aktaCode = regexp.MustCompile(`-([A-Z]{2})-`)

// fit cuts or extends s to exactly n characters, never ending in a space.
func fit(s string, n int) string {
	r := []rune(s)
	for len(r) < n {
		r = append(r, []rune(" "+s)...)
	}
	r = r[:n]
	if r[n-1] == ' ' {
		r[n-1] = '.'
	}
	return string(r)
}

// longest is the longest official value (the first of equal length).
func longest(values []string) string {
	v := ""
	for _, x := range values {
		if utf8.RuneCountInString(x) > utf8.RuneCountInString(v) {
			v = x
		}
	}
	return v
}

// person is one NIK with the birth date and sex it encodes.
type person struct{ nik, born, sex string }

// personN is the n-th person of the fixtures: a valid NIK of Jakarta
// Selatan (3174 01), born on day 1+n%28 of March 1985 (+n years), men
// and women alternating.
func personN(n int) person {
	day, year := 1+n%28, 85+n%15
	sex, nikDay := "LAKI-LAKI", day
	if n%2 == 1 {
		sex, nikDay = "PEREMPUAN", day+40
	}
	return person{
		nik:  fmt.Sprintf("317401%02d03%02d%04d", nikDay, year%100, 1+n),
		born: fmt.Sprintf("%02d-03-19%02d", day, year),
		sex:  sex,
	}
}

// valueAt is f's value at its bound, for the person p the map shows.
func valueAt(f station.FieldSpec, p person) string {
	switch {
	case f.Name == "nik":
		return p.nik
	case f.Name == "tanggal_lahir":
		return p.born
	case f.Name == "jenis_kelamin":
		return p.sex
	case len(f.Values) > 0:
		return longest(f.Values)
	case f.Pattern == nikPattern:
		return "3174010101090042"
	case f.Name == "berlaku_hingga" && f.MaxLen == 12:
		return "SEUMUR HIDUP"
	case f.Pattern != "" && strings.Contains(f.Pattern, "[0-9]{2}-[0-9]{2}-[0-9]{4}"):
		return "31-12-2026"
	case f.Name == "rt_rw":
		return "003/005"
	case f.Name == "kode_pos":
		return "12820"
	case longText[f.Name] != "":
		return fit(longText[f.Name], f.MaxLen)
	case strings.Contains(f.Pattern, "[0-9]{16}"): // a NIK, or "-" for none
		return "3174010101090042"
	case strings.HasPrefix(f.Name, "rt_rw_"):
		return "003/005"
	case aktaCode.MatchString(f.Pattern): // an akta number
		return "3174-" + aktaCode.FindStringSubmatch(f.Pattern)[1] + "-31122026-0001"
	case f.Name == "anak_ke":
		return "12"
	case longTextAs[f.Name] != "":
		return fit(longText[longTextAs[f.Name]], f.MaxLen)
	case strings.HasSuffix(f.Name, "_asal") || strings.HasSuffix(f.Name, "_tujuan"):
		base := strings.TrimSuffix(strings.TrimSuffix(f.Name, "_asal"), "_tujuan")
		return fit(longText[base], f.MaxLen)
	}
	return ""
}

// boundsSample is spec s's document at the bounds: every field at its
// bound or the longest official value, and as many rows as it may have.
func boundsSample(s station.DocumentSpec) sample {
	applicant := personN(0)
	shown := applicant
	if s.Subject == station.SubjectOther {
		shown = personN(1)
	}
	out := sample{Type: s.Type, Subject: applicant.nik, Fields: map[string]string{}}
	for _, f := range s.Fields {
		out.Fields[f.Name] = valueAt(f, shown)
	}
	// A document tied to the applicant by another field (an akta
	// perkawinan's nik_suami) names the applicant there.
	if s.Subject == station.SubjectSelf && len(s.SubjectNIKs) > 0 && s.SubjectNIKs[0] != "nik" {
		out.Fields[s.SubjectNIKs[0]] = applicant.nik
	}
	for i := 0; i < s.MaxRows && len(s.Columns) > 0; i++ {
		row := map[string]string{}
		for _, f := range s.Columns {
			row[f.Name] = valueAt(f, personN(i))
		}
		out.Rows = append(out.Rows, row)
	}
	for _, im := range s.Images {
		if out.Images == nil {
			out.Images = map[string]string{}
		}
		out.Images[im.Name] = map[string]string{"photo": "photo.jpg", "signature": "signature.png"}[im.Name]
	}
	return out
}

func boundsPath(t station.DocumentType) string {
	return filepath.Join("testdata", string(t)+".bounds.json")
}

// TestBoundsFixtures: testdata/<type>.bounds.json is the document of each
// spec at its bounds, every value obeying its rule and at its bound;
// -update rewrites them. The render and layout tests print these.
func TestBoundsFixtures(t *testing.T) {
	for _, s := range station.Specs() {
		want, err := json.MarshalIndent(boundsSample(s), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if *update {
			if err := os.WriteFile(boundsPath(s.Type), want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(boundsPath(s.Type))
		if err != nil {
			t.Errorf("%s: %v (go test ./station/documents -update writes it)", s.Type, err)
			continue
		}
		var got sample
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", boundsPath(s.Type), err)
		}
		mustBeAtBounds(t, string(s.Type), got.Fields, s.Fields)
		if len(s.Columns) > 0 && len(got.Rows) != s.MaxRows {
			t.Errorf("%s: %d rows, want %d", s.Type, len(got.Rows), s.MaxRows)
		}
		for i, row := range got.Rows {
			mustBeAtBounds(t, fmt.Sprintf("%s row %d", s.Type, i), row, s.Columns)
		}
		for _, im := range s.Images {
			if _, err := os.Stat(filepath.Join("testdata", got.Images[im.Name])); got.Images[im.Name] == "" || err != nil {
				t.Errorf("%s: image %s missing", s.Type, im.Name)
			}
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from its spec's bounds; go test ./station/documents -update rewrites it", boundsPath(s.Type))
		}
	}
}

// mustBeAtBounds fails unless every field is present, obeys its rule and
// is as long as its rule allows.
func mustBeAtBounds(tb testing.TB, what string, got map[string]string, specs []station.FieldSpec) {
	tb.Helper()
	for _, f := range specs {
		v, ok := got[f.Name]
		if err := f.Check(v); err != nil || !ok {
			tb.Errorf("%s: %s: %v (present %v)", what, f.Name, err, ok)
			continue
		}
		n := utf8.RuneCountInString(v)
		switch {
		case len(f.Values) > 0 && n != utf8.RuneCountInString(longest(f.Values)) && f.Name != "jenis_kelamin":
			tb.Errorf("%s: %s %q is not the longest official value", what, f.Name, v)
		case len(f.Values) == 0 && f.Pattern == "" && n != f.MaxLen:
			tb.Errorf("%s: %s has %d characters, its bound is %d", what, f.Name, n, f.MaxLen)
		}
	}
	if len(got) != len(specs) {
		tb.Errorf("%s: %d fields, the spec names %d", what, len(got), len(specs))
	}
}
