package render

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anjungan/anjungan/station"
)

// condition chooses between templates for the same document and side
// (the KIA's two fronts): the holder's age in whole years on the issue
// date, from the fields tanggal_lahir and tanggal_terbit (DD-MM-YYYY),
// must lie in [age_from, age_below). A template without "when" applies
// to every document; templates of one side must not overlap.
type condition struct {
	AgeFrom  *int `json:"age_from"`
	AgeBelow *int `json:"age_below"`
}

const dateLayout = "02-01-2006"

func (c condition) set() bool { return c.AgeFrom != nil || c.AgeBelow != nil }

// bounds is the interval [from, below); an absent bound is open.
func (c condition) bounds() (from, below int) {
	from, below = 0, math.MaxInt
	if c.AgeFrom != nil {
		from = *c.AgeFrom
	}
	if c.AgeBelow != nil {
		below = *c.AgeBelow
	}
	return from, below
}

func (c condition) validate(s Schema) error {
	if !c.set() {
		return nil
	}
	if !slices.Contains(s.Fields, "tanggal_lahir") || !slices.Contains(s.Fields, "tanggal_terbit") {
		return errors.New("an age condition needs the fields tanggal_lahir and tanggal_terbit, which this document type does not have")
	}
	from, below := c.bounds()
	if from < 0 || from >= below || below > 200 && below != math.MaxInt {
		return fmt.Errorf("want 0 <= age_from < age_below <= 200")
	}
	return nil
}

func (c condition) overlaps(o condition) bool {
	a, b := c.bounds()
	x, y := o.bounds()
	return a < y && x < b
}

func (c condition) describe() string {
	if !c.set() {
		return ""
	}
	from, below := c.bounds()
	if below == math.MaxInt {
		return fmt.Sprintf("(age %d and over) ", from)
	}
	return fmt.Sprintf("(age %d to under %d) ", from, below)
}

// matches reports whether d meets the condition. Its errors name the
// field, never its value.
func (c condition) matches(d station.Document) (bool, error) {
	if !c.set() {
		return true, nil
	}
	born, err := time.Parse(dateLayout, d.Fields["tanggal_lahir"])
	if err != nil {
		return false, errors.New("tanggal_lahir is not a DD-MM-YYYY date")
	}
	issued, err := time.Parse(dateLayout, d.Fields["tanggal_terbit"])
	if err != nil {
		return false, errors.New("tanggal_terbit is not a DD-MM-YYYY date")
	}
	if issued.Before(born) {
		return false, errors.New("tanggal_terbit is before tanggal_lahir")
	}
	age := ageOn(born, issued)
	from, below := c.bounds()
	return age >= from && age < below, nil
}

// ageOn is the age in whole years on day: the birthday counts from its
// day (29 February from 1 March in common years).
func ageOn(born, day time.Time) int {
	age := day.Year() - born.Year()
	if day.Month() < born.Month() || day.Month() == born.Month() && day.Day() < born.Day() {
		age--
	}
	return age
}
