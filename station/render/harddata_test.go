package render

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestRenderHardData renders documents with difficult values: each must
// print every value, carry a QR that verifies, and render the same twice.
func TestRenderHardData(t *testing.T) {
	sixty := "MUHAMMAD ABDURRAHMAN SYAHPUTRA WIJAYAKUSUMA NUGROHO SANTOSO "
	sixty = strings.TrimSpace(sixty[:60])
	for len(sixty) < 60 {
		sixty += "A"
	}
	r := MustNewRenderer(t)
	for _, tc := range []struct {
		name   string
		sample string
		change func(d *station.Document)
	}{
		{"60-character name", "ktp-el", func(d *station.Document) { d.Fields["nama"] = sixty }},
		{"diacritics and apostrophes", "ktp-el", func(d *station.Document) {
			d.Fields["nama"] = "JOSÉ MARÍA D'ALMEIDA MÜLLER PEÑA"
			d.Fields["tempat_lahir"] = "SÃO TOMÉ"
		}},
		{"one-word name", "ktp-el", func(d *station.Document) { d.Fields["nama"] = "SUKARNO" }},
		{"empty optional field and no signature", "ktp-el", func(d *station.Document) {
			d.Fields["golongan_darah"] = ""
			delete(d.Images, "signature")
		}},
		{"KIA born on its fifth birthday gets the photo front", "kia", func(d *station.Document) {
			d.Fields["tanggal_lahir"] = "03-02-2020"
		}},
		{"KK with 60-character names and apostrophes", "kk", func(d *station.Document) {
			d.Rows[0]["nama_ayah"] = "MA'RUF AMIN"
			d.Rows[1]["nama"] = "ZOË O'NEILL-WIJAYA"
			d.Fields["nama_kepala_keluarga"] = sixty
		}},
		{"KK of one member", "kk", func(d *station.Document) { d.Rows = d.Rows[:1] }},
		// Values that real documents carry and that an earlier layout
		// refused (issue 15): official-list entries, long regencies.
		{"religions of the official list", "kk", func(d *station.Document) {
			d.Rows[0]["agama"] = "KEPERCAYAAN TERHADAP TUHAN YME"
			d.Rows[1]["agama"] = "KHONGHUCU"
			d.Rows[2]["pekerjaan"] = "PEGAWAI PEMERINTAH DENGAN PERJANJIAN KERJA (PPPK)"
			d.Rows[3]["pendidikan"] = "AKADEMI/DIPLOMA III/S. MUDA"
			d.Rows[4]["status_perkawinan"] = "KAWIN BELUM TERCATAT"
			d.Rows[5]["golongan_darah"] = "TIDAK TAHU"
		}},
		{"long regency as place of issue", "ktp-el", func(d *station.Document) {
			d.Fields["tempat_terbit"] = "KEPULAUAN SIAU TAGULANDANG BIARO"
			d.Fields["kabupaten_kota"] = "KAB. ADM. KEPULAUAN SERIBU"
			d.Fields["agama"] = "KEPERCAYAAN TERHADAP TUHAN YME"
			d.Fields["pekerjaan"] = "PEGAWAI PEMERINTAH DENGAN PERJANJIAN KERJA (PPPK)"
			d.Fields["status_perkawinan"] = "KAWIN BELUM TERCATAT"
		}},
		{"KIA with a 60-character head of family", "kia", func(d *station.Document) {
			d.Fields["nama_kepala_keluarga"] = "Prof. Dr. Ir. H. MUHAMMAD ABDURRAHMAN WIJAYAKUSUMA, S.H., M.H."[:60]
			d.Fields["tempat_terbit"] = "KEPULAUAN SIAU TAGULANDANG BIARO"
			d.Fields["agama"] = "KHONGHUCU"
		}},
		{"address of 120 characters", "kia", func(d *station.Document) {
			d.Fields["alamat"] = strings.Repeat("JL. MAWAR ", 12)[:120]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			tc.change(&d)
			out := MustRender(t, r, d)
			if again := MustRender(t, r, d); !bytes.Equal(out.PDF, again.PDF) {
				t.Fatal("two renders differ")
			}
			file := filepath.Join(t.TempDir(), "doc.pdf")
			if err := os.WriteFile(file, out.PDF, 0o600); err != nil {
				t.Fatal(err)
			}
			checkText(t, file, d)
			checkQR(t, out.PDF, out.Pages, d)
		})
	}
}

// TestRenderRefusesWhatWouldPrintWrongly: a required value that is blank
// after trimming, a soft hyphen (printed as a visible hyphen) and control
// characters are refused with a typed error naming the field. The
// registry decoder normalises upstream values; this is the second line.
func TestRenderRefusesWhatWouldPrintWrongly(t *testing.T) {
	r := MustNewRenderer(t)
	for _, tc := range []struct {
		name, sample string
		change       func(d *station.Document)
		field        string
		blank        bool
		char         rune
	}{
		{"blank name", "ktp-el", func(d *station.Document) { d.Fields["nama"] = "   " }, "nama", true, 0},
		{"empty NIK", "kia", func(d *station.Document) { d.Fields["nik"] = "" }, "nik", true, 0},
		{"blank member name", "kk", func(d *station.Document) { d.Rows[4]["nama"] = " " }, "nama", true, 0},
		{"blank relationship", "kk", func(d *station.Document) { d.Rows[11]["hubungan"] = "" }, "hubungan", true, 0},
		{"blank official", "kk", func(d *station.Document) { d.Fields["pejabat"] = "  " }, "pejabat", true, 0},
		{"soft hyphen", "ktp-el", func(d *station.Document) { d.Fields["nama"] = "BUDI SAN\u00adTOSO" }, "nama", false, 0xAD},
		{"soft hyphen in a row", "kk", func(d *station.Document) { d.Rows[2]["nama_ibu"] = "SITI\u00adAMINAH" }, "nama_ibu", false, 0xAD},
		{"tab", "kia", func(d *station.Document) { d.Fields["kel_desa"] = "CIPA\tGANTI" }, "kel_desa", false, '\t'},
		{"C1 control", "ktp-el", func(d *station.Document) { d.Fields["pekerjaan"] = "GURU\u0085" }, "pekerjaan", false, 0x85},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			tc.change(&d)
			_, err := r.Render(context.Background(), d)
			if !errors.Is(err, station.ErrRenderFailed) {
				t.Fatalf("err = %v, want render_failed", err)
			}
			var be *BlankError
			var ce *CharsetError
			switch {
			case tc.blank && !errors.As(err, &be):
				t.Fatalf("err = %v, want a *BlankError", err)
			case tc.blank && be.Field != tc.field:
				t.Errorf("Field = %q, want %q", be.Field, tc.field)
			case !tc.blank && !errors.As(err, &ce):
				t.Fatalf("err = %v, want a *CharsetError", err)
			case !tc.blank && (ce.Field != tc.field || ce.Rune != tc.char):
				t.Errorf("Field, Rune = %q, %U; want %q, %U", ce.Field, ce.Rune, tc.field, tc.char)
			}
		})
	}
}

func TestRenderCharsetErrorNamesField(t *testing.T) {
	r := MustNewRenderer(t)
	for _, tc := range []struct {
		name, sample string
		change       func(d *station.Document)
		field        string
	}{
		{"name", "ktp-el", func(d *station.Document) { d.Fields["nama"] = "ŁUKASZ" }, "nama"},
		{"format", "ktp-el", func(d *station.Document) { d.Fields["tempat_lahir"] = "İSTANBUL" }, "{tempat_lahir}, {tanggal_lahir}"},
		{"row", "kk", func(d *station.Document) { d.Rows[5]["nama_ibu"] = "SITI 王" }, "nama_ibu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := MustLoadSample(t, tc.sample)
			tc.change(&d)
			_, err := r.Render(context.Background(), signed(t, d))
			var ce *CharsetError
			if !errors.Is(err, station.ErrRenderFailed) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want render_failed with a *CharsetError", err)
			}
			if ce.Field != tc.field {
				t.Errorf("Field = %q, want %q", ce.Field, tc.field)
			}
		})
	}
}

func TestRenderKIAVariant(t *testing.T) {
	r := MustNewRenderer(t)
	for _, tc := range []struct {
		born      string
		wantPhoto bool
		wantErr   string
	}{
		{"04-02-2020", false, ""}, // a day short of five on 03-02-2025
		{"03-02-2020", true, ""},
		{"04-02-2007", true, ""}, // 17
		{"03-02-2007", false, "no kia front template applies"},
		{"31-02-2020", false, "tanggal_lahir is not a DD-MM-YYYY date"},
	} {
		t.Run(tc.born, func(t *testing.T) {
			d := MustLoadSample(t, "kia")
			d.Fields["tanggal_lahir"] = tc.born
			out, err := r.Render(context.Background(), signed(t, d))
			if tc.wantErr != "" {
				if !errors.Is(err, station.ErrRenderFailed) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(out.PDF, []byte("/Subtype /Image")); got != tc.wantPhoto {
				t.Errorf("photo printed = %v, want %v", got, tc.wantPhoto)
			}
		})
	}
	d := MustLoadSample(t, "kia")
	delete(d.Images, "photo")
	if _, err := r.Render(context.Background(), signed(t, d)); err == nil || !strings.Contains(err.Error(), `kia.front.photo.json: elements[`) || !strings.Contains(err.Error(), "required image is missing") {
		t.Errorf("KIA of an 8-year-old without photo: err = %v, want required image is missing", err)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("BUDI SANTOSO", "JL. MERDEKA NO. 1", "SITI", "17-08-1985")
	f.Add("JOSÉ D'ÁVILA", "", "Ł", "31-02-2020")
	f.Add(strings.Repeat("W", 300), "{nama}", "\x00\xff", "")
	f.Add("   ", "JL. MA\u00adWAR", " ", "01-01-2000")
	r := MustNewRenderer(f)
	ktp := MustLoadSample(f, "ktp-el")
	kia := MustLoadSample(f, "kia")
	kk := MustLoadSample(f, "kk")
	f.Fuzz(func(t *testing.T, nama, alamat, member, born string) {
		for _, d := range []station.Document{ktp, kia, kk} {
			d.Fields = clone(d.Fields)
			d.Fields["nama"], d.Fields["alamat"], d.Fields["tanggal_lahir"] = nama, alamat, born
			d.Fields["nama_kepala_keluarga"] = nama
			d.Rows = append([]map[string]string(nil), d.Rows...)
			if len(d.Rows) > 0 {
				d.Rows[0] = clone(d.Rows[0])
				d.Rows[0]["nama"] = member
			}
			out, err := r.Render(context.Background(), signed(t, d))
			if err != nil {
				if !errors.Is(err, station.ErrRenderFailed) {
					t.Fatalf("error %v is not render_failed", err)
				}
				for _, v := range []string{nama, alamat, member} {
					if len(v) > 8 && strings.Contains(err.Error(), v) {
						t.Fatalf("error holds a value: %v", err)
					}
				}
				continue
			}
			if !bytes.HasPrefix(out.PDF, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(out.PDF), []byte("%%EOF")) {
				t.Fatal("output is not a PDF")
			}
		}
	})
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
