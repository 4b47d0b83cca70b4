package http

import (
	"testing"

	"github.com/anjungan/anjungan/station"
)

// TestViewTitlesFromSpecs: the kiosk names each document in both
// languages and says what it prints on, all from its registered spec.
func TestViewTitlesFromSpecs(t *testing.T) {
	s := &station.Session{Authz: station.Authorization{Subject: station.MustParseNIK("3171091203850007")}}
	for i, d := range station.DocumentTypes() {
		s.Authz.Requests = append(s.Authz.Requests, station.PrintRequest{ID: station.RequestID(rune('a' + i)), Document: d, Status: station.RequestApproved})
	}
	v := viewOf(s)
	if len(v.Documents) != len(station.Specs()) {
		t.Fatalf("%d documents", len(v.Documents))
	}
	for _, got := range v.Documents {
		spec, _ := station.SpecOf(station.DocumentType(got.Type))
		if got.Title != spec.TitleID || got.TitleEN != spec.TitleEN || got.Media != string(spec.Media) || got.TitleEN == "" {
			t.Errorf("%s: title %q/%q media %q, spec %q/%q %q", spec.Type, got.Title, got.TitleEN, got.Media, spec.TitleID, spec.TitleEN, spec.Media)
		}
	}
}
