package documents

import "github.com/anjungan/anjungan/station"

// signedIssue are the fields that close every kutipan of the civil
// register and the SKPWNI: where and when it was issued, and the head
// of the Dinas who signs it (electronically since Permendagri 7/2019,
// hence the QR instead of a wet signature and seal).
func signedIssue() []station.FieldSpec {
	return append(issue(), text("pejabat", "Pejabat", "Official", nameLen))
}
