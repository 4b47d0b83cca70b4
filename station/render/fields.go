package render

import "github.com/anjungan/anjungan/station"

// Schema is the data one document type offers its templates: the names of
// its text fields (Document.Fields), of its table row fields
// (Document.Rows) and of its images (Document.Images). Templates may only
// name these, so a typo in a template is caught when it is loaded rather
// than printed as an empty box.
//
// Masked names the fields and row fields that identify the citizen or
// the family (names, NIK, KK number): a template that prints one must
// mark that text "mask": true, so that the kiosk covers it in its
// preview, or it is refused when loaded.
type Schema struct {
	Fields    []string
	RowFields []string
	Images    []string
	Masked    []string
}

// RowNumber is the row field a table column may use for the 1-based
// position of the row ("No" on the KK). The renderer computes it; it is
// not read from Document.Rows.
const RowNumber = "no_urut"

// SchemaOf returns the schema of document type t, read from its
// registered spec, and false for a type that is not registered. Each call
// returns fresh slices.
func SchemaOf(t station.DocumentType) (Schema, bool) {
	spec, ok := station.SpecOf(t)
	if !ok {
		return Schema{}, false
	}
	var s Schema
	for _, f := range spec.Fields {
		s.Fields = append(s.Fields, f.Name)
		if f.Masked {
			s.Masked = append(s.Masked, f.Name)
		}
	}
	for _, f := range spec.Columns {
		s.RowFields = append(s.RowFields, f.Name)
		if f.Masked {
			s.Masked = append(s.Masked, f.Name)
		}
	}
	for _, im := range spec.Images {
		s.Images = append(s.Images, im.Name)
	}
	return s, true
}
