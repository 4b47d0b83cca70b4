package registrysim

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestCivilDocuments fetches each civil-registry document for a few
// applicants and checks it against docs/schemas and against the
// population: an akta kelahiran's parents live in it and the applicant
// is the child or a parent; an akta kematian's person is marked
// deceased and asked for by the family; spouses are who they say.
func TestCivilDocuments(t *testing.T) {
	s := newSim(t)
	pop := s.popForTest(t)
	for _, typ := range []station.DocumentType{aktaKelahiran, aktaKematian, aktaPerkawinan, aktaPerceraian, skpwni} {
		t.Run(string(typ), func(t *testing.T) {
			for range 3 {
				a := s.MustApprove(t, map[string]any{"documents": []string{string(typ)}})
				authz := s.MustLogin(t, a)
				rid := requestIDs(authz)[0]
				path := fmt.Sprintf("/v1/authorizations/%s/requests/%s/document", authz["authorization_id"], rid)
				st, doc := s.call(t, "GET", path, nil)
				if st != http.StatusOK {
					t.Fatalf("GET %s: %d %v", path, st, doc)
				}
				if err := mustSchema(t, string(typ)).check("$", doc); err != nil {
					t.Fatal(err)
				}
				f := map[string]string{}
				for k, v := range doc["fields"].(map[string]any) {
					f[k] = v.(string)
				}
				applicant := pop.byNIK[a.NIK]
				switch typ {
				case aktaKelahiran:
					child, mother := pop.byNIK[f["nik"]], pop.byNIK[f["nik_ibu"]]
					if child == nil || mother == nil || child.Family != mother.Family || mother.Name != f["nama_ibu"] {
						t.Fatalf("the child or the mother is not in the population: %v", f)
					}
					if f["nik_ayah"] != "-" {
						if father := pop.byNIK[f["nik_ayah"]]; father == nil || father.Name != f["nama_ayah"] {
							t.Fatalf("the father is not in the population: %v", f)
						}
					}
					if a.NIK != f["nik"] && a.NIK != f["nik_ibu"] && a.NIK != f["nik_ayah"] {
						t.Fatalf("applicant %s is neither the child nor a parent: %v", a.NIK, f)
					}
					if child.BirthCert != f["no_akta"] {
						t.Fatalf("no_akta %s, the child's is %s", f["no_akta"], child.BirthCert)
					}
				case aktaKematian:
					dead := pop.byNIK[f["nik"]]
					if dead == nil || dead.Deceased.IsZero() || f["nik"] == a.NIK || dead.Family != applicant.Family {
						t.Fatalf("akta kematian of %v for applicant %s", f, a.NIK)
					}
					if f["tanggal_meninggal"] != dead.Deceased.Format(dateLayout) {
						t.Fatalf("tanggal_meninggal %s, the register has %s", f["tanggal_meninggal"], dead.Deceased.Format(dateLayout))
					}
					// The deceased is marked in the population: nobody prints for him as himself.
					if st, out := s.call(t, "POST", "/admin/approvals", map[string]any{"nik": f["nik"], "documents": []string{"ktp-el"}}); st == http.StatusCreated {
						t.Fatalf("an approval for the deceased: %v", out)
					}
				case aktaPerkawinan, aktaPerceraian:
					if a.NIK != f["nik_suami"] && a.NIK != f["nik_istri"] {
						t.Fatalf("applicant %s is neither spouse: %v", a.NIK, f)
					}
					if _, err := station.ParseNIK(f["nik_suami"]); err != nil {
						t.Fatal(err)
					}
				case skpwni:
					found := false
					for _, r := range doc["rows"].([]any) {
						found = found || r.(map[string]any)["nik"] == a.NIK
					}
					if !found || f["provinsi_asal"] == f["provinsi_tujuan"] {
						t.Fatalf("SKPWNI rows lack the applicant or the move stays in %s", f["provinsi_asal"])
					}
				}
			}
		})
	}
}
