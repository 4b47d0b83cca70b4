// Package documents registers the document types the station prints:
// one file per type, each registering its station.DocumentSpec from init.
// Programs and tests import it for that side effect:
//
//	import _ "github.com/anjungan/anjungan/station/documents"
//
// Adding a document type is a spec here, a template in templates/, a
// generator in registry-sim and their fixtures (docs/templates.md, "How to
// add a document type"); TestEverySpecIsComplete names what is missing.
package documents
