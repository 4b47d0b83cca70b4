package ticket

// The tests know the document types the programs register.
import _ "github.com/anjungan/anjungan/station/documents"
