package render

// The civil-registry documents register their specs from init.
import _ "github.com/anjungan/anjungan/station/documents"
