package registrysim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/anjungan/anjungan/station"
)

// populationEpoch is the date ages are drawn against, so that a seed gives
// the same people whatever day the simulator starts.
var populationEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Relations in a family (hubungan dalam keluarga), as printed on the KK.
const (
	relHead   = "KEPALA KELUARGA"
	relWife   = "ISTRI"
	relChild  = "ANAK"
	unmarried = "BELUM KAWIN"
	married   = "KAWIN"
)

// person is one synthetic resident. Nobody here is real.
type person struct {
	NIK        station.NIK
	Name       string
	Female     bool
	BirthPlace string
	BirthDate  time.Time
	Religion   string
	Blood      string
	Marital    string
	Job        string
	Education  string
	Relation   string
	Father     string    // name
	Mother     string    // name
	BirthCert  string    // nomor akta kelahiran
	Deceased   time.Time // zero while alive (civil.go)
	Family     *family
	imageSeed  uint64
}

// family is one Kartu Keluarga.
type family struct {
	KK       string
	District *district
	Village  village
	Street   string
	Number   int // house number
	RT, RW   int
	Members  []*person   // head first, then spouse, then children oldest first
	Civil    civilEvents // what the civil register holds about the family (civil.go)
}

// population is the simulator's residents; read-only once generated.
type population struct {
	People []*person
	byNIK  map[string]*person
}

func (p *population) person(nik station.NIK) *person { return p.byNIK[nik.Reveal()] }

// age is the age in whole years on day now.
func age(birth, now time.Time) int {
	a := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		a--
	}
	return a
}

// adult reports whether p may hold a KTP-el: 17 or older, or married.
func (p *person) adult(now time.Time) bool {
	return age(p.BirthDate, now) >= 17 || p.Marital != unmarried
}

// parent reports whether p heads the family or is the head's wife.
func (p *person) parent() bool { return p.Relation == relHead || p.Relation == relWife }

// kiaChildren are the children of p's family a KIA can be printed for.
func (p *person) kiaChildren(now time.Time) []*person {
	if !p.parent() {
		return nil
	}
	var out []*person
	for _, m := range p.Family.Members {
		if m.Relation == relChild && age(m.BirthDate, now) < 17 {
			out = append(out, m)
		}
	}
	return out
}

func (f *family) head() *person { return f.Members[0] }

// generator draws people from one PCG stream; the same seed gives the
// same population.
type generator struct {
	rng     *rand.Rand
	serials map[string]int // NIK prefix -> last serial
	kks     map[string]int // KK prefix -> last serial
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// generatePopulation makes n residents in families, deterministically
// from seed. Every NIK passes station.ParseNIK.
func generatePopulation(seed uint64, n int) (*population, error) {
	g := &generator{
		rng:     rand.New(rand.NewPCG(seed, 0x616e6a756e67616e)),
		serials: map[string]int{},
		kks:     map[string]int{},
	}
	pop := &population{byNIK: map[string]*person{}}
	for len(pop.People) < n {
		f, err := g.family(n - len(pop.People))
		if err != nil {
			return nil, err
		}
		for _, m := range f.Members {
			pop.People = append(pop.People, m)
			pop.byNIK[m.NIK.Reveal()] = m
		}
	}
	if err := registerCivilEvents(seed, pop); err != nil {
		return nil, err
	}
	return pop, nil
}

// family makes one family of at most room members.
func (g *generator) family(room int) (*family, error) {
	r := g.rng
	d := &districts[r.IntN(len(districts))]
	f := &family{District: d, Village: pick(r, d.Villages), Street: pick(r, streets),
		Number: 1 + r.IntN(120), RT: 1 + r.IntN(15), RW: 1 + r.IntN(12)}
	religion := pick(r, religions)

	headAge := 25 + r.IntN(40)
	kind := r.Float64()
	var head, wife *person
	children := 0
	switch {
	case kind < 0.75: // married couple
		head = g.adult(f, false, headAge, relHead, married)
		wife = g.adult(f, true, max(20, headAge-r.IntN(8)), relWife, married)
		children = r.IntN(5)
	case kind < 0.85: // mother alone
		wife = g.adult(f, true, headAge, relHead, pick(r, []string{"CERAI MATI", "CERAI HIDUP"}))
		children = 1 + r.IntN(3)
	default: // single adult
		head = g.adult(f, r.IntN(2) == 0, 20+r.IntN(20), relHead, unmarried)
	}
	if head != nil {
		f.Members = append(f.Members, head)
	}
	if wife != nil {
		f.Members = append(f.Members, wife)
	}
	var kids []*person
	if wife != nil {
		motherAge := age(wife.BirthDate, populationEpoch)
		for range children {
			atBirth := 20 + r.IntN(max(1, min(motherAge, 42)-20))
			kids = append(kids, g.child(f, head, wife, motherAge-atBirth))
		}
	}
	// Oldest first, as on a KK.
	for i := 1; i < len(kids); i++ {
		for j := i; j > 0 && kids[j].BirthDate.Before(kids[j-1].BirthDate); j-- {
			kids[j], kids[j-1] = kids[j-1], kids[j]
		}
	}
	f.Members = append(f.Members, kids...)
	if len(f.Members) > room {
		f.Members = f.Members[:room]
	}
	for _, m := range f.Members {
		m.Religion = religion
		nik, err := g.nik(d, m.BirthDate, m.Female)
		if err != nil {
			return nil, err
		}
		m.NIK = nik
		m.BirthCert = fmt.Sprintf("%s-LT-%s-%04d", d.City.Code, m.BirthDate.Format("02012006"), 1+r.IntN(9999))
	}
	f.KK = g.kk(d)
	return f, nil
}

func (g *generator) adult(f *family, female bool, years int, relation, marital string) *person {
	r := g.rng
	p := &person{
		Name:       g.name(female, ""),
		Female:     female,
		BirthPlace: pick(r, birthPlaces),
		BirthDate:  g.birth(years),
		Blood:      pick(r, bloodGroups),
		Marital:    marital,
		Job:        pick(r, adultJobs),
		Education:  pick(r, adultEducation),
		Relation:   relation,
		Father:     g.name(false, ""),
		Mother:     g.name(true, ""),
		Family:     f,
		imageSeed:  r.Uint64(),
	}
	if relation == relWife && r.IntN(10) < 4 {
		p.Job = "MENGURUS RUMAH TANGGA"
	}
	return p
}

func (g *generator) child(f *family, father, mother *person, years int) *person {
	r := g.rng
	female := r.IntN(2) == 0
	surname := ""
	fatherName := "-"
	if father != nil {
		fatherName = father.Name
		if parts := strings.Fields(father.Name); len(parts) > 1 && r.IntN(2) == 0 {
			surname = parts[len(parts)-1]
		}
	}
	p := &person{
		Name:       g.name(female, surname),
		Female:     female,
		BirthPlace: birthTowns[f.District.City.Code],
		BirthDate:  g.birth(years),
		Blood:      pick(r, bloodGroups),
		Marital:    unmarried,
		Relation:   relChild,
		Father:     fatherName,
		Mother:     mother.Name,
		Family:     f,
		imageSeed:  r.Uint64(),
	}
	p.Education, p.Job = schooling(years)
	return p
}

func schooling(years int) (education, job string) {
	job = "PELAJAR/MAHASISWA"
	switch {
	case years < 5:
		return "TIDAK/BELUM SEKOLAH", "BELUM/TIDAK BEKERJA"
	case years < 6:
		return "TIDAK/BELUM SEKOLAH", job
	case years < 12:
		return "BELUM TAMAT SD/SEDERAJAT", job
	case years < 15:
		return "TAMAT SD/SEDERAJAT", job
	case years < 18:
		return "SLTP/SEDERAJAT", job
	}
	return "SLTA/SEDERAJAT", job
}

// birth is a birth date that makes the given age at populationEpoch.
func (g *generator) birth(years int) time.Time {
	return populationEpoch.AddDate(-years-1, 0, 1+g.rng.IntN(364))
}

func (g *generator) name(female bool, surname string) string {
	r := g.rng
	given := pick(r, maleNames)
	if female {
		given = pick(r, femaleNames)
	}
	switch {
	case surname != "":
		return given + " " + surname
	case female && r.IntN(10) < 4:
		return given + " " + pick(r, femaleSecondNames)
	case r.IntN(10) < 7:
		return given + " " + pick(r, familyNames)
	}
	return given
}

// nik assembles district code, birth date (day + 40 for women) and a
// serial unique within that prefix, and checks it.
func (g *generator) nik(d *district, birth time.Time, female bool) (station.NIK, error) {
	day := birth.Day()
	if female {
		day += 40
	}
	prefix := fmt.Sprintf("%s%02d%02d%02d", d.Code, day, int(birth.Month()), birth.Year()%100)
	g.serials[prefix]++
	nik, err := station.ParseNIK(fmt.Sprintf("%s%04d", prefix, g.serials[prefix]))
	if err != nil {
		return station.NIK{}, fmt.Errorf("registry-sim made an invalid NIK: %w", err)
	}
	return nik, nil
}

// kk makes a family card number: district code, an issue date in the
// three years before the epoch, a serial.
func (g *generator) kk(d *district) string {
	issued := populationEpoch.AddDate(0, 0, -1-g.rng.IntN(3*365))
	prefix := d.Code + issued.Format("020106")
	g.kks[prefix]++
	return fmt.Sprintf("%s%04d", prefix, g.kks[prefix])
}
