package registrysim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anjungan/anjungan/station"
	_ "github.com/anjungan/anjungan/station/documents" // the civil-registry documents' specs
)

// The documents of the civil register (station/documents) the simulator
// serves besides KTP-el, KIA and KK.
const (
	aktaKelahiran  station.DocumentType = "akta-kelahiran"
	aktaKematian   station.DocumentType = "akta-kematian"
	aktaPerkawinan station.DocumentType = "akta-perkawinan"
	aktaPerceraian station.DocumentType = "akta-perceraian"
	skpwni         station.DocumentType = "skpwni"
)

// The civil register's documents are made by civilFields.
func init() {
	for _, t := range []station.DocumentType{aktaKelahiran, aktaKematian, aktaPerkawinan, aktaPerceraian, skpwni} {
		generators[t] = func(d *documentJSON, subject *person, issued time.Time) {
			d.Fields, d.Rows = civilFields(t, subject, issued)
		}
	}
}

func isCivil(d station.DocumentType) bool {
	switch d {
	case aktaKelahiran, aktaKematian, aktaPerkawinan, aktaPerceraian, skpwni:
		return true
	}
	return false
}

// civilEvents is what the civil register holds about one family beyond
// its members' births: the death of the husband of a widow (CERAI MATI),
// the marriage of a couple that is not Muslim (the Dinas registers those;
// the KUA registers Muslim marriages), the divorce of a mother alone
// (CERAI HIDUP) who is not Muslim (a Pengadilan Agama's Akta Cerai is
// not the Dinas's), and the move every family plans to another province.
type civilEvents struct {
	Death    *death
	Marriage *marriage
	Divorce  *divorce
	Move     move
}

type death struct {
	Person *person // in the population's NIK index, marked Deceased, not on the KK any more
	Place  string
	Number string
}

type marriage struct {
	Number string
	Place  string
	Date   time.Time
}

type divorce struct {
	Husband                  string // name
	HusbandNIK               string // a valid NIK; he lives elsewhere, outside the simulator
	Marriage                 marriage
	Court, Decision, Number  string
	DecisionDate, Registered time.Time
}

type move struct {
	District *district
	Village  village
	Street   string
	Number   int
	RT, RW   int
	Reason   string
}

var (
	moveReasons = []string{"PEKERJAAN", "PEKERJAAN", "PENDIDIKAN", "KELUARGA", "PERUMAHAN", "KESEHATAN", "LAINNYA"}
	// courts are each city's Pengadilan Negeri and the abbreviation its
	// decision numbers end with.
	courts = map[string][2]string{
		"3171": {"PENGADILAN NEGERI JAKARTA SELATAN", "PN Jkt.Sel"},
		"3273": {"PENGADILAN NEGERI BANDUNG", "PN Bdg"},
		"3578": {"PENGADILAN NEGERI SURABAYA", "PN Sby"},
	}
)

// registerCivilEvents draws the families' civil events from their own
// PCG stream, after the people: the same seed gives the same population
// as before, and the same events. A deceased husband gets a NIK whose
// serial starts at 9001, above any the generator hands out for a prefix.
func registerCivilEvents(seed uint64, pop *population) error {
	g := &generator{rng: rand.New(rand.NewPCG(seed, 0x636976696c)), serials: map[string]int{}}
	r := g.rng
	var families []*family
	seen := map[*family]bool{}
	for _, p := range pop.People {
		if !seen[p.Family] {
			seen[p.Family] = true
			families = append(families, p.Family)
		}
	}
	serial := 9000
	for _, f := range families {
		head, city := f.head(), f.District.City
		firstChild, lastChild := populationEpoch, time.Time{}
		var kids []*person
		for _, m := range f.Members {
			if m.Relation == relChild {
				kids = append(kids, m)
				if m.BirthDate.Before(firstChild) {
					firstChild = m.BirthDate
				}
				if m.BirthDate.After(lastChild) {
					lastChild = m.BirthDate
				}
			}
		}
		// Every family plans a move to a district in another city.
		var other []*district
		for i := range districts {
			if districts[i].City.Code != city.Code {
				other = append(other, &districts[i])
			}
		}
		to := other[r.IntN(len(other))]
		f.Civil.Move = move{District: to, Village: pick(r, to.Villages), Street: pick(r, streets),
			Number: 1 + r.IntN(120), RT: 1 + r.IntN(15), RW: 1 + r.IntN(12), Reason: pick(r, moveReasons)}

		wedding := func(husband, wife time.Time) marriage {
			at := maxTime(husband.AddDate(21, 0, 0), wife.AddDate(20, 0, 0)).AddDate(0, 0, r.IntN(3*365))
			if !at.Before(firstChild) {
				at = firstChild.AddDate(-1, 0, -r.IntN(300))
			}
			registered := at.AddDate(0, 0, 1+r.IntN(20))
			return marriage{Place: birthTowns[city.Code], Date: at,
				Number: fmt.Sprintf("%s-KW-%s-%04d", city.Code, registered.Format("02012006"), 1+r.IntN(9999))}
		}
		switch {
		case head.Female && head.Marital == "CERAI MATI":
			serial++
			born := head.BirthDate.AddDate(-r.IntN(8), 0, -r.IntN(300))
			died := populationEpoch.AddDate(0, 0, -30-r.IntN(3*365))
			if died.Before(lastChild) { // he saw his youngest born
				died = lastChild.AddDate(0, 0, 1+r.IntN(max(1, int(populationEpoch.Sub(lastChild).Hours()/24)-1)))
			}
			prefix := fmt.Sprintf("%s%02d%02d%02d", f.District.Code, born.Day(), int(born.Month()), born.Year()%100)
			nik, err := station.ParseNIK(fmt.Sprintf("%s%04d", prefix, serial))
			if err != nil {
				return fmt.Errorf("registry-sim made an invalid NIK: %w", err)
			}
			late := &person{NIK: nik, Name: g.name(false, ""), BirthPlace: pick(r, birthPlaces), BirthDate: born,
				Religion: head.Religion, Blood: pick(r, bloodGroups), Marital: married, Job: pick(r, adultJobs),
				Education: pick(r, adultEducation), Relation: relHead, Father: g.name(false, ""), Mother: g.name(true, ""),
				Deceased: died, Family: f, imageSeed: r.Uint64()}
			late.BirthCert = fmt.Sprintf("%s-LT-%s-%04d", city.Code, born.Format("02012006"), 1+r.IntN(9999))
			pop.byNIK[nik.Reveal()] = late
			for _, k := range kids {
				k.Father = late.Name // their father, who has died
			}
			registered := died.AddDate(0, 0, 3+r.IntN(20))
			f.Civil.Death = &death{Person: late, Place: birthTowns[city.Code],
				Number: fmt.Sprintf("%s-KM-%s-%04d", city.Code, registered.Format("02012006"), 1+r.IntN(9999))}
		case head.Female && head.Marital == "CERAI HIDUP" && head.Religion != "ISLAM":
			serial++
			born := head.BirthDate.AddDate(-r.IntN(6), 0, -r.IntN(300))
			prefix := fmt.Sprintf("%s%02d%02d%02d", pick(r, districts).Code, born.Day(), int(born.Month()), born.Year()%100)
			nik, err := station.ParseNIK(fmt.Sprintf("%s%04d", prefix, serial))
			if err != nil {
				return fmt.Errorf("registry-sim made an invalid NIK: %w", err)
			}
			m := wedding(born, head.BirthDate)
			decided := populationEpoch.AddDate(0, 0, -60-r.IntN(2*365))
			court := courts[city.Code]
			registered := decided.AddDate(0, 0, 14+r.IntN(45))
			f.Civil.Divorce = &divorce{Husband: g.name(false, ""), HusbandNIK: nik.Reveal(), Marriage: m,
				Court: court[0], Decision: fmt.Sprintf("%d/Pdt.G/%d/%s", 1+r.IntN(900), decided.Year(), court[1]),
				DecisionDate: decided, Registered: registered,
				Number: fmt.Sprintf("%s-CR-%s-%04d", city.Code, registered.Format("02012006"), 1+r.IntN(9999))}
			for _, k := range kids {
				k.Father = f.Civil.Divorce.Husband
			}
		case !head.Female && len(f.Members) > 1 && f.Members[1].Relation == relWife && head.Religion != "ISLAM":
			m := wedding(head.BirthDate, f.Members[1].BirthDate)
			f.Civil.Marriage = &m
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// father and mother are a child's parents in the family, or nil.
func (f *family) father() *person {
	if h := f.head(); !h.Female && h.Relation == relHead {
		return h
	}
	return nil
}

func (f *family) mother() *person {
	for _, m := range f.Members {
		if m.Female && (m.Relation == relWife || m.Relation == relHead) {
			return m
		}
	}
	return nil
}

// civilEligible reports whether p may ask for document d, and
// civilSubject whom the document shows: an akta kelahiran a child of
// the family (a parent asks) or p (an adult child asks for his own); an
// akta kematian the late husband (his widow asks); the others p.
func civilEligible(p *person, d station.DocumentType, now time.Time) bool {
	if !p.Deceased.IsZero() || !p.adult(now) {
		return false
	}
	f := p.Family
	switch d {
	case aktaKelahiran:
		return len(birthChildren(p)) > 0 || (p.Relation == relChild && f.mother() != nil)
	case aktaKematian:
		return f.Civil.Death != nil
	case aktaPerkawinan:
		return f.Civil.Marriage != nil && p.parent()
	case aktaPerceraian:
		return f.Civil.Divorce != nil && p.Relation == relHead
	case skpwni:
		return true
	}
	return false
}

func civilSubject(rng *rand.Rand, p *person, d station.DocumentType) *person {
	switch d {
	case aktaKelahiran:
		if kids := birthChildren(p); len(kids) > 0 {
			return kids[rng.IntN(len(kids))]
		}
	case aktaKematian:
		return p.Family.Civil.Death.Person
	}
	return p
}

// birthChildren are the children whose akta kelahiran p may print as
// their parent.
func birthChildren(p *person) []*person {
	if !p.parent() || p.Family.mother() == nil {
		return nil
	}
	var out []*person
	for _, m := range p.Family.Members {
		if m.Relation == relChild {
			out = append(out, m)
		}
	}
	return out
}

// civilFields are the fields and rows of a civil-registry document that
// shows subject, issued on day issued by the subject's city.
func civilFields(d station.DocumentType, subject *person, issued time.Time) (map[string]string, []map[string]string) {
	f := subject.Family
	city := f.District.City
	out := map[string]string{
		"tempat_terbit":  city.Name,
		"tanggal_terbit": issued.Format(dateLayout),
		"pejabat":        officials[city.Code],
	}
	set := func(kv ...string) {
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
	}
	var rows []map[string]string
	switch d {
	case aktaKelahiran:
		nikAyah, namaAyah := "-", subject.Father
		if fa := f.father(); fa != nil && subject.Relation == relChild {
			nikAyah = fa.NIK.Reveal()
		}
		mother := f.mother()
		order := 1
		for _, m := range f.Members {
			if m.Relation == relChild && m.BirthDate.Before(subject.BirthDate) {
				order++
			}
		}
		set("no_akta", subject.BirthCert, "nik", subject.NIK.Reveal(), "nama", subject.Name,
			"tempat_lahir", subject.BirthPlace, "tanggal_lahir", subject.BirthDate.Format(dateLayout),
			"jenis_kelamin", sex(subject), "anak_ke", fmt.Sprint(order),
			"nama_ayah", namaAyah, "nik_ayah", nikAyah, "nama_ibu", mother.Name, "nik_ibu", mother.NIK.Reveal())
	case aktaKematian:
		dd := f.Civil.Death
		set("no_akta", dd.Number, "nik", subject.NIK.Reveal(), "nama", subject.Name, "jenis_kelamin", sex(subject),
			"tempat_lahir", subject.BirthPlace, "tanggal_lahir", subject.BirthDate.Format(dateLayout),
			"tempat_meninggal", dd.Place, "tanggal_meninggal", subject.Deceased.Format(dateLayout))
	case aktaPerkawinan:
		m, husband, wife := f.Civil.Marriage, f.head(), f.Members[1]
		set("no_akta", m.Number, "nik_suami", husband.NIK.Reveal(), "nama_suami", husband.Name,
			"nik_istri", wife.NIK.Reveal(), "nama_istri", wife.Name, "agama", husband.Religion,
			"tempat_perkawinan", m.Place, "tanggal_perkawinan", m.Date.Format(dateLayout))
	case aktaPerceraian:
		dv, wife := f.Civil.Divorce, f.head()
		set("no_akta", dv.Number, "nik_suami", dv.HusbandNIK, "nama_suami", dv.Husband,
			"nik_istri", wife.NIK.Reveal(), "nama_istri", wife.Name, "no_akta_perkawinan", dv.Marriage.Number,
			"tempat_perkawinan", dv.Marriage.Place, "tanggal_perkawinan", dv.Marriage.Date.Format(dateLayout),
			"pengadilan", dv.Court, "no_putusan", dv.Decision, "tanggal_putusan", dv.DecisionDate.Format(dateLayout))
	case skpwni:
		mv := f.Civil.Move
		kind := "KEPALA KELUARGA DAN SELURUH ANGGOTA KELUARGA"
		if len(f.Members) == 1 {
			kind = "KEPALA KELUARGA"
		}
		// The number has no published national form: city, issue date and
		// the family card's serial make it unique here.
		set("no_skpwni", fmt.Sprintf("SKPWNI/%s/%s/%s", city.Code, issued.Format("02012006"), f.KK[12:]),
			"no_kk", f.KK, "nama_kepala_keluarga", f.head().Name,
			"alamat_asal", fmt.Sprintf("%s NO. %d", f.Street, f.Number), "rt_rw_asal", fmt.Sprintf("%03d/%03d", f.RT, f.RW),
			"kel_desa_asal", f.Village.Name, "kecamatan_asal", f.District.Name,
			"kabupaten_kota_asal", city.Name, "provinsi_asal", city.Province.Name,
			"alamat_tujuan", fmt.Sprintf("%s NO. %d", mv.Street, mv.Number), "rt_rw_tujuan", fmt.Sprintf("%03d/%03d", mv.RT, mv.RW),
			"kel_desa_tujuan", mv.Village.Name, "kecamatan_tujuan", mv.District.Name,
			"kabupaten_kota_tujuan", mv.District.City.Name, "provinsi_tujuan", mv.District.City.Province.Name,
			"klasifikasi_pindah", "ANTAR PROVINSI", "jenis_kepindahan", kind, "alasan_pindah", mv.Reason,
			"tanggal_pindah", issued.AddDate(0, 0, 14).Format(dateLayout))
		for _, m := range f.Members {
			rows = append(rows, map[string]string{"nik": m.NIK.Reveal(), "nama": m.Name, "hubungan": m.Relation})
		}
	}
	if rows == nil {
		rows = []map[string]string{}
	}
	return out, rows
}
