package http

import (
	"fmt"

	"github.com/anjungan/anjungan/printerd"
)

// words is the one table of the keywords a supervisor reads on the
// console: printerd's job and printer states, printer-state-reasons and
// their severities, job reasons, media, ledger alerts and card uses, and
// the common IPP keywords a real printer reports. texts adds each as
// "kw_"+keyword in both languages; the word template function shows it.
// TestWordsCoverPrinterd holds the table to printerd's code.
var words = withReasonCodes(map[string][2]string{ // keyword: {Bahasa Indonesia, English}
	// job states
	"queued":      {"dalam antrean", "queued"},
	"dispatching": {"sedang dikirim ke printer", "being sent to the printer"},
	"printed":     {"tercetak", "printed"},
	"held":        {"ditahan", "held"},
	"failed":      {"gagal", "failed"},
	"canceled":    {"dibatalkan", "canceled"},
	"in_doubt":    {"hasil tidak pasti", "outcome unknown"},
	// the kiosk's print states, as an officer call reports them
	"preparing": {"sedang disiapkan", "being prepared"},
	"preview":   {"pratinjau", "preview"},
	"printing":  {"sedang dicetak", "printing"},
	"done":      {"selesai", "done"},
	// printer states
	"idle":       {"siap", "idle"},
	"processing": {"sedang mencetak", "printing"},
	"stopped":    {"berhenti", "stopped"},
	// severities
	"report":  {"info", "note"},
	"warning": {"peringatan", "warning"},
	"error":   {"galat", "error"},
	// media
	"om_card_54x86mm":  {"kartu PVC 54×86 mm", "PVC card 54×86 mm"},
	"iso_a4_210x297mm": {"kertas A4", "A4 paper"},
	// printer-state-reasons printerd's drivers report
	"media-empty":         {"blanko habis", "out of blanks"},
	"media-jam":           {"kartu/kertas macet", "card or paper jammed"},
	"marker-supply-empty": {"pita/tinta habis", "ribbon or ink used up"},
	"cover-open":          {"tutup printer terbuka", "printer cover open"},
	"output-area-full":    {"tempat keluaran penuh", "output area full"},
	"offline":             {"printer tidak tersambung", "printer not connected"},
	"timed-out":           {"printer tidak menjawab", "printer did not answer"},
	"encode-failure":      {"gagal encode chip", "chip encoding failed"},
	"driver-panic":        {"driver printer mogok", "printer driver crashed"},
	"malformed-reply":     {"jawaban printer rusak", "printer's reply garbled"},
	"journal-error":       {"jurnal cetak tidak dapat ditulis", "print journal cannot be written"},
	"no-blanks":           {"blanko belum dimuat", "no blank cards loaded"},
	"other":               {"lainnya", "other"},
	// job reasons printerd gives
	"citizen_absent":        {"warga tidak di anjungan", "citizen not at the kiosk"},
	"handed-over":           {"diserahkan langsung oleh petugas", "handed over by an officer"},
	"reattached":            {"dilanjutkan untuk warga yang kembali", "resumed for the returning citizen"},
	"reprinted":             {"dicetak ulang", "reprinted"},
	"voided":                {"kartu dibatalkan", "card voided"},
	"spoiled":               {"kartu rusak diambil dari stok", "card spoiled out of stock"},
	"released":              {"dilepas ke antrean", "released to the queue"},
	"reprint":               {"cetak ulang", "reprint"},
	"confirmed":             {"dipastikan tercetak", "confirmed printed"},
	"crash-recovery":        {"layanan cetak berhenti mendadak", "print service stopped abruptly"},
	"dispatcher-stopped":    {"layanan cetak dihentikan sebelum mengirim", "print service stopped before sending"},
	"document-unavailable":  {"berkas dokumen tidak terbaca", "document file unreadable"},
	"document-format-error": {"format dokumen tidak cocok dengan printer", "document format does not fit the printer"},
	"encoding-invalid":      {"data encode chip tidak sah", "chip encoding data invalid"},
	"job-id-invalid":        {"nomor pekerjaan tidak sah", "job id invalid"},
	"media-mismatch":        {"media printer tidak cocok", "printer holds other media"},
	"no-printer":            {"tidak ada printer untuk dokumen ini", "no printer for this document"},
	// ledger alerts and card uses
	"low-stock": {"blanko menipis", "blank cards low"},
	"mismatch":  {"hitungan printer berbeda dengan buku", "printer's count differs from the ledger"},
	"overdrawn": {"terpakai melebihi yang dimuat", "more used than loaded"},
	"rejected":  {"ditolak printer", "rejected by the printer"},
	// why a supervisor lifted a PIN lockout (station.PINLiftReasons)
	"identity-checked": {"KTP-el warga sudah diperiksa langsung", "citizen's e-KTP checked in person"},
	"new-pin-issued":   {"Dukcapil mengirim PIN baru", "Dukcapil sent a new PIN"},
	"kiosk-fault":      {"kesalahan anjungan (papan tombol, layar)", "kiosk fault (keypad, screen)"},
	// IPP keywords a real printer (CUPS, IPP Everywhere) commonly reports
	"none":               {"tidak ada", "none"},
	"media-needed":       {"perlu blanko", "media needed"},
	"media-low":          {"blanko menipis", "media low"},
	"marker-supply-low":  {"pita/tinta menipis", "ribbon or ink low"},
	"toner-low":          {"toner menipis", "toner low"},
	"toner-empty":        {"toner habis", "toner empty"},
	"door-open":          {"pintu printer terbuka", "printer door open"},
	"paused":             {"dijeda", "paused"},
	"moving-to-paused":   {"sedang dijeda", "pausing"},
	"shutdown":           {"dimatikan", "shut down"},
	"spool-area-full":    {"antrean printer penuh", "printer's spool full"},
	"input-tray-missing": {"baki masukan tidak terpasang", "input tray missing"},
})

// withReasonCodes adds the resolution reason codes, whose labels printerd
// keeps (ReasonCodes), rather than saying them twice.
func withReasonCodes(w map[string][2]string) map[string][2]string {
	for _, rc := range printerd.ReasonCodes() {
		if _, ok := w[string(rc.Code)]; !ok {
			w[string(rc.Code)] = [2]string{rc.ID, rc.EN}
		}
	}
	return w
}

// addWords puts the keyword table into a language's texts.
func addWords(t map[string]string, lang string) map[string]string {
	i := 0
	if lang == "en" {
		i = 1
	}
	for k, w := range words {
		t["kw_"+k] = w[i]
	}
	return t
}

// word shows keyword k (any of printerd's keyword types) in the page's
// language. A keyword outside the table, such as a vendor's, is shown as
// it is: hiding it would hide what the printer says.
func word(t map[string]string, k any) string {
	s := fmt.Sprint(k)
	if w, ok := t["kw_"+s]; ok {
		return w
	}
	return s
}
