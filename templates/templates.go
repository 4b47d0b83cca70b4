// Package templates holds the document templates the station renders
// with: one JSON file per document and side, in the format described in
// docs/templates.md and loaded by station/render.
package templates

import "embed"

// FS holds the template files at its root.
//
//go:embed *.json
var FS embed.FS
