package render

import (
	"fmt"
	"strings"
)

// lineSpacing is the line height as a multiple of the font size.
const lineSpacing = 1.15

// mmPerPt converts points (font sizes) to millimetres (the page unit).
const mmPerPt = 25.4 / 72

// shrinkStep is how much the shrink policy takes off per try, in points.
const shrinkStep = 0.5

// lineHeight is the height in mm of one line of text at size pt.
func lineHeight(size float64) float64 { return size * mmPerPt * lineSpacing }

// measureFunc returns the width in mm of s (already encoded for the
// fonts) at size pt.
type measureFunc func(size float64, s string) float64

// fitted is text laid out in its box: the size chosen and the lines.
type fitted struct {
	size  float64
	lines []string
}

// fitError says why text did not fit, naming the box and the policy; it
// never holds the text, which is usually personal data.
type fitError struct {
	W, H             float64
	MinSize, MaxSize float64
	Policy           Overflow
}

func (e *fitError) Error() string {
	return fmt.Sprintf("text does not fit its %.2f×%.2f mm box at %.1f–%.1f pt (overflow %s)",
		e.W, e.H, e.MinSize, e.MaxSize, e.Policy)
}

// fit lays s out in a w×h mm box under policy:
//
//   - one line at the font size, then at smaller sizes down to min_size
//     (shrink and shrink-wrap);
//   - then wrapped at spaces into several lines, at the largest size from
//     the font size down to min_size at which the lines fit (shrink-wrap);
//   - otherwise an error. Text is never clipped and words are never split.
func fit(measure measureFunc, font Font, policy Overflow, w, h float64, s string) (fitted, error) {
	sizes := []float64{font.Size}
	if policy != Fixed {
		sizes = shrinkSizes(font.Size, font.MinSize)
	}
	for _, size := range sizes {
		if lineHeight(size) <= h && measure(size, s) <= w {
			return fitted{size: size, lines: []string{s}}, nil
		}
	}
	if policy == ShrinkWrap {
		for _, size := range sizes {
			lines, ok := wrap(measure, size, w, s)
			if ok && float64(len(lines))*lineHeight(size) <= h {
				return fitted{size: size, lines: lines}, nil
			}
		}
	}
	return fitted{}, &fitError{W: w, H: h, MinSize: sizes[len(sizes)-1], MaxSize: font.Size, Policy: policy}
}

// shrinkSizes lists the sizes to try, largest first, in steps of
// shrinkStep, always ending with min.
func shrinkSizes(size, min float64) []float64 {
	n := int((size-min)/shrinkStep + 1e-9)
	sizes := make([]float64, 0, n+2)
	for i := 0; i <= n; i++ {
		sizes = append(sizes, size-float64(i)*shrinkStep)
	}
	if sizes[len(sizes)-1]-min > 1e-9 {
		sizes = append(sizes, min)
	}
	return sizes
}

// wrap breaks s at spaces into lines no wider than w at size, greedily.
// It fails if one word alone is wider than w.
func wrap(measure measureFunc, size, w float64, s string) ([]string, bool) {
	var lines []string
	cur := ""
	// Split on ASCII spaces only: s is in the fonts' single-byte encoding,
	// which strings.Fields would read as UTF-8.
	for _, word := range strings.Split(s, " ") {
		if word == "" {
			continue
		}
		if measure(size, word) > w {
			return nil, false
		}
		switch {
		case cur == "":
			cur = word
		case measure(size, cur+" "+word) <= w:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	return append(lines, cur), true
}
