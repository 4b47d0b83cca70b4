package registrysim

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station"
)

func TestPopulationIsDeterministic(t *testing.T) {
	a, err := generatePopulation(7, 120)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generatePopulation(7, 120)
	if err != nil {
		t.Fatal(err)
	}
	c, err := generatePopulation(8, 120)
	if err != nil {
		t.Fatal(err)
	}
	same, differ := true, false
	for i := range a.People {
		same = same && a.People[i].NIK == b.People[i].NIK && a.People[i].Name == b.People[i].Name
		differ = differ || a.People[i].NIK != c.People[i].NIK
	}
	if !same {
		t.Error("the same seed gave different people")
	}
	if !differ {
		t.Error("another seed gave the same people")
	}
}

func TestPopulationIsPlausible(t *testing.T) {
	const n = 500
	pop, err := generatePopulation(1, n)
	if err != nil {
		t.Fatal(err)
	}
	// The NIK index also holds the deceased (civil.go), who are not
	// among the living People.
	dead := 0
	for _, p := range pop.byNIK {
		if !p.Deceased.IsZero() {
			dead++
		}
	}
	if len(pop.People) != n || len(pop.byNIK) != n+dead || dead == 0 {
		t.Fatalf("%d people, %d distinct NIKs, %d deceased; want %d living", len(pop.People), len(pop.byNIK), dead, n)
	}
	codes := map[string]bool{}
	for _, d := range districts {
		codes[d.Code] = true
	}
	kks := map[string]bool{}
	var kids, women, under5 int
	for _, p := range pop.People {
		nik := p.NIK.Reveal()
		if _, err := station.ParseNIK(nik); err != nil {
			t.Fatalf("invalid NIK %s: %v", p.NIK, err)
		}
		if !codes[nik[:6]] || nik[:6] != p.Family.District.Code {
			t.Errorf("NIK %s is not from the family's district %s", p.NIK, p.Family.District.Code)
		}
		if p.NIK.Female() != p.Female || !p.NIK.BirthDate(populationEpoch).Equal(p.BirthDate) {
			t.Errorf("NIK %s does not encode sex and birth date of %+v", p.NIK, p.BirthDate)
		}
		if p.Name != strings.ToUpper(p.Name) || p.Name == "" {
			t.Errorf("name %q is not upper case", p.Name)
		}
		if len(p.Family.KK) != 16 {
			t.Errorf("KK number %q", p.Family.KK)
		}
		if p.Family.Members[0].Relation != relHead {
			t.Errorf("family %s does not start with its head", p.Family.KK)
		}
		kks[p.Family.KK] = true
		if p.Female {
			women++
		}
		if p.Relation == relChild {
			kids++
			mother := p.Family.Members[0]
			if len(p.Family.Members) > 1 && p.Family.Members[1].Relation == relWife {
				mother = p.Family.Members[1]
			}
			if age(mother.BirthDate, p.BirthDate) < 18 {
				t.Errorf("mother %s was %d at the birth of %s", mother.NIK, age(mother.BirthDate, p.BirthDate), p.NIK)
			}
			if age(p.BirthDate, populationEpoch) < 5 {
				under5++
			}
		}
	}
	if kids < n/5 || women < n/3 || under5 == 0 || len(kks) < n/6 {
		t.Errorf("a thin population: %d children (%d under 5), %d women, %d families", kids, under5, women, len(kks))
	}
}

func TestImages(t *testing.T) {
	pop, err := generatePopulation(1, 10)
	if err != nil {
		t.Fatal(err)
	}
	p := pop.People[0]
	for name, tt := range map[string]struct {
		b    []byte
		w, h int
	}{
		"photo":     {photoPNG(p), photoW, photoH},
		"signature": {signaturePNG(p), signW, signH},
	} {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(tt.b))
		if err != nil || format != "png" || cfg.Width != tt.w || cfg.Height != tt.h {
			t.Errorf("%s: %s %dx%d, %v", name, format, cfg.Width, cfg.Height, err)
		}
		if len(tt.b) > 100_000 {
			t.Errorf("%s is %d bytes", name, len(tt.b))
		}
		if _, err := png.Decode(bytes.NewReader(tt.b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !bytes.Equal(photoPNG(p), photoPNG(p)) {
		t.Error("photo is not deterministic")
	}
}

func TestAge(t *testing.T) {
	for _, tt := range []struct {
		birth, on time.Time
		want      int
	}{
		{date(2010, 6, 15), date(2027, 6, 14), 16},
		{date(2010, 6, 15), date(2027, 6, 15), 17},
		{date(2010, 6, 15), date(2010, 6, 15), 0},
		{date(2012, 3, 1), date(2013, 3, 1), 1}, // after a leap year
		{date(2012, 2, 29), date(2013, 2, 28), 0},
	} {
		if got := age(tt.birth, tt.on); got != tt.want {
			t.Errorf("age(%s, %s) = %d, want %d", tt.birth.Format(time.DateOnly), tt.on.Format(time.DateOnly), got, tt.want)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func BenchmarkPhotoPNG(b *testing.B) {
	pop, err := generatePopulation(1, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		photoPNG(pop.People[0])
	}
}

func BenchmarkGeneratePopulation(b *testing.B) {
	for b.Loop() {
		if _, err := generatePopulation(1, 200); err != nil {
			b.Fatal(err)
		}
	}
}
