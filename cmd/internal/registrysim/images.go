package registrysim

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
)

// Photos and signatures are drawn, never taken from real people: a grey
// silhouette on the KTP-el background colour (red for an even birth year,
// blue for an odd one) and a wavy pen stroke.

const (
	photoW, photoH = 240, 320
	signW, signH   = 240, 90
)

func photoPNG(p *person) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, photoW, photoH))
	top, bottom := color.NRGBA{0xd6, 0x1f, 0x26, 0xff}, color.NRGBA{0xa8, 0x12, 0x18, 0xff}
	if p.BirthDate.Year()%2 == 1 {
		top, bottom = color.NRGBA{0x2a, 0x6f, 0xd6, 0xff}, color.NRGBA{0x16, 0x4a, 0xa0, 0xff}
	}
	rng := rand.New(rand.NewPCG(p.imageSeed, 1))
	headRX := float64(photoW) * (0.17 + 0.04*rng.Float64())
	headRY := headRX * (1.25 + 0.1*rng.Float64())
	cx, headCY := float64(photoW)/2, float64(photoH)*0.4
	shirt := color.NRGBA{uint8(40 + rng.IntN(120)), uint8(40 + rng.IntN(120)), uint8(40 + rng.IntN(120)), 0xff}
	skin := color.NRGBA{0x5a, 0x5a, 0x5e, 0xff}
	for y := range photoH {
		t := float64(y) / photoH
		bg := color.NRGBA{lerp(top.R, bottom.R, t), lerp(top.G, bottom.G, t), lerp(top.B, bottom.B, t), 0xff}
		for x := range photoW {
			fx, fy := float64(x), float64(y)
			c := bg
			switch {
			case sq((fx-cx)/headRX)+sq((fy-headCY)/headRY) <= 1:
				c = skin
			case fy > headCY+headRY*0.8 && sq((fx-cx)/(photoW*0.46))+sq((fy-photoH*1.02)/(photoH*0.36)) <= 1:
				c = shirt
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return encodePNG(img)
}

func signaturePNG(p *person) []byte {
	img := image.NewGray(image.Rect(0, 0, signW, signH))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	rng := rand.New(rand.NewPCG(p.imageSeed, 2))
	a1, f1, ph1 := 10+12*rng.Float64(), 0.03+0.05*rng.Float64(), 6*rng.Float64()
	a2, f2 := 4+6*rng.Float64(), 0.15+0.1*rng.Float64()
	for x := 20.0; x < signW-20; x += 0.25 {
		y := signH/2 + a1*math.Sin(f1*x+ph1) + a2*math.Sin(f2*x)
		for dy := -1; dy <= 1; dy++ {
			img.SetGray(int(x), int(y)+dy, color.Gray{0x10})
		}
	}
	return encodePNG(img)
}

func lerp(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t) }

func sq(x float64) float64 { return x * x }

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory image to a buffer cannot fail
	}
	return b.Bytes()
}
