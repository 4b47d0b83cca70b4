package render

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/anjungan/anjungan/station"
)

// bboxWord is a word as pdftotext -bbox finds it: page and box as
// fractions of the page, from the top left.
type bboxWord struct {
	page           int
	text           string
	x0, y0, x1, y1 float64
}

var (
	bboxPageRE = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	bboxWordRE = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

// pdfWords runs pdftotext -bbox on a PDF and returns its words in order.
func pdfWords(t *testing.T, pdf []byte) []bboxWord {
	t.Helper()
	pdftotext := peer(t, "pdftotext", "poppler-utils")
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, pdftotext, "-bbox", file, "-")
	var words []bboxWord
	page := -1
	var w, h float64
	for _, line := range strings.Split(out, "\n") {
		if m := bboxPageRE.FindStringSubmatch(line); m != nil {
			page++
			w, h = num(t, m[1]), num(t, m[2])
			continue
		}
		if m := bboxWordRE.FindStringSubmatch(line); m != nil {
			words = append(words, bboxWord{page: page, text: html.UnescapeString(m[5]),
				x0: num(t, m[1]) / w, y0: num(t, m[2]) / h, x1: num(t, m[3]) / w, y1: num(t, m[4]) / h})
		}
	}
	return words
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMasksCoverNames renders every sample and checks, on the real PDF,
// that every word of every value the schema says identifies someone
// (names, NIKs, KK number) lies inside one of the masks Render returns,
// wherever that value is printed.
func TestMasksCoverNames(t *testing.T) {
	r := MustNewRenderer(t)
	var samples []string
	for _, tc := range sampleCases {
		samples = append(samples, tc.sample)
	}
	for _, tc := range boundsCases {
		samples = append(samples, tc.sample)
	}
	for _, sample := range samples {
		t.Run(sample, func(t *testing.T) {
			d := MustLoadSample(t, sample)
			res, err := r.Render(context.Background(), signed(t, d))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range res.Masks {
				if m.Page < 0 || m.Page >= res.Pages || m.X < 0 || m.Y < 0 || m.W <= 0 || m.H <= 0 || m.X+m.W > 1 || m.Y+m.H > 1 {
					t.Errorf("mask %+v is not on a page", m)
				}
			}
			words := pdfWords(t, res.PDF)
			schema, _ := SchemaOf(d.Type)
			var values []string
			for _, f := range schema.Masked {
				if v := d.Fields[f]; v != "" && !notPrinted(d.Type, f) {
					values = append(values, v)
				}
				for _, row := range d.Rows {
					if v := row[f]; v != "" {
						values = append(values, v)
					}
				}
			}
			if len(values) == 0 {
				t.Fatal("the sample has nothing to mask")
			}
			for _, v := range values {
				found := occurrences(words, strings.Fields(v))
				if len(found) == 0 {
					// Wrapped: pdftotext may list the later lines after
					// other text.
					found = wrapped(words, strings.Fields(v), 0, nil)
				}
				if len(found) == 0 {
					t.Errorf("%q is not in the PDF's text", v)
				}
				for _, w := range found {
					if !masked(w, res.Masks) {
						t.Errorf("word %q of %q (page %d, %.3f,%.3f–%.3f,%.3f) lies outside every mask", w.text, v, w.page, w.x0, w.y0, w.x1, w.y1)
					}
				}
			}
		})
	}
}

// occurrences returns the words of every run of words equal to want.
// pdftotext joins a value to a label drawn flush against it (the ":"
// before the NIK on the KTP-el): a word that is a wanted word with
// punctuation before or after it counts, cut down to the wanted word's
// share of its width, the characters taken as equally wide.
func occurrences(words []bboxWord, want []string) []bboxWord {
	var out []bboxWord
	for i := 0; i+len(want) <= len(words); i++ {
		var run []bboxWord
		for j, w := range want {
			got, ok := part(words[i+j], w)
			if !ok || words[i+j].page != words[i].page {
				run = nil
				break
			}
			run = append(run, got)
		}
		out = append(out, run...)
	}
	return out
}

// wrapped finds want as consecutive runs of words, each later in the
// list than the one before, on the same page and on the line right
// below it: a value wrapped onto several lines. It returns the first
// such match, or nil.
func wrapped(words []bboxWord, want []string, from int, prev *bboxWord) []bboxWord {
	if len(want) == 0 {
		return []bboxWord{}
	}
	for i := from; i < len(words); i++ {
		if w := words[i]; prev != nil && (w.page != prev.page || w.y0 <= prev.y0 || w.y0-prev.y1 > (prev.y1-prev.y0)/2) {
			continue
		}
		var run []bboxWord
		for j := 0; j < len(want) && i+j < len(words); j++ {
			got, ok := part(words[i+j], want[j])
			if !ok || words[i+j].page != words[i].page {
				break
			}
			run = append(run, got)
		}
		if len(run) == 0 {
			continue
		}
		if rest := wrapped(words, want[len(run):], i+len(run), &run[len(run)-1]); rest != nil {
			return append(run, rest...)
		}
	}
	return nil
}

// part is the share of w that is want, when w is want with only
// punctuation around it.
func part(w bboxWord, want string) (bboxWord, bool) {
	i := strings.Index(w.text, want)
	if i < 0 || strings.Trim(w.text[:i]+w.text[i+len(want):], ":;,.") != "" {
		return bboxWord{}, false
	}
	n := float64(len([]rune(w.text)))
	before, after := float64(len([]rune(w.text[:i]))), float64(len([]rune(w.text[i+len(want):])))
	width := w.x1 - w.x0
	w.x0, w.x1 = w.x0+width*before/n, w.x1-width*after/n
	w.text = want
	return w, true
}

func masked(w bboxWord, masks []station.Mask) bool {
	for _, m := range masks {
		if m.Page == w.page && w.x0 >= m.X && w.y0 >= m.Y && w.x1 <= m.X+m.W && w.y1 <= m.Y+m.H {
			return true
		}
	}
	return false
}
