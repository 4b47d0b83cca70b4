// Package templates holds the document templates the station renders
// with: one JSON file per document and side, in the format described in
// docs/templates.md and loaded by station/render, and the fonts they are
// set in (fonts/, see fonts/README.md).
package templates

import "embed"

// FS holds the template files at its root and, under fonts/, the font
// definitions (.json) and compressed font programs (.z) made from the
// TrueType files beside them.
//
//go:embed *.json fonts/*.json fonts/*.z
var FS embed.FS
