package http

// consoleTexts returns the console's words in lang ("id" or "en"). Bahasa
// Indonesia comes first; every key exists in both (see the test).
func consoleTexts(lang string) map[string]string {
	if lang == "en" {
		return consoleEN
	}
	return consoleID
}

var consoleID = map[string]string{
	"title": "Konsol armada Anjungan", "lang_toggle": "English", "login": "Masuk", "logout": "Keluar",
	"name": "Nama akun", "password": "Kata sandi", "login_refused": "Nama akun atau kata sandi salah.",
	"refused_cross_site": "Permintaan ditolak: tidak berasal dari konsol ini.",
	"scope":              "Cakupan", "kiosks": "Anjungan", "kiosk": "Anjungan", "region": "Wilayah", "last_seen": "Terakhir terdengar",
	"never": "belum pernah", "status": "Status", "printers": "Printer", "blanks": "Blanko kartu", "days_left": "hari lagi",
	"days_left_inf": "belum terpakai", "prints": "Dicetak per hari (7 hari)", "failed": "gagal/tidak pasti",
	"waiting": "Pekerjaan menunggu pengawas", "alerts": "Peringatan terbuka", "no_alerts": "Tidak ada peringatan.",
	"none": "Tidak ada.", "next_step": "Langkah berikutnya", "since": "sejak", "document": "Dokumen",
	"summary": "Ringkasan", "offline_count": "luring", "out_count": "tidak melayani", "waiting_count": "pekerjaan menunggu",
	"status_in_service": "Melayani", "status_out_of_service": "Tidak melayani", "status_closed": "Tutup",
	"status_offline": "Luring", "status_never_seen": "Belum pernah mengirim", "status_revoked": "Dicabut",
	"for": "untuk", "supplies": "persediaan",
	"kind_kiosk_offline": "Anjungan luring", "kind_printer_stopped": "Printer berhenti", "kind_blank_cards_low": "Blanko kartu hampir habis",
	"kind_paper_low": "Kertas hampir habis", "kind_backlog_growing": "Antrean kiriman bertambah", "kind_audit_inconsistent": "Log audit tidak konsisten",
	"next_kiosk_offline":      "Hubungi petugas di lokasi: periksa listrik dan jaringan anjungan.",
	"next_printer_stopped":    "Minta petugas memeriksa printer (kertas macet, pita, tutup) di konsol anjungan.",
	"next_blank_cards_low":    "Kirim blanko kartu ke lokasi sebelum habis dan catat pemuatannya.",
	"next_paper_low":          "Minta petugas mengisi kertas printer.",
	"next_backlog_growing":    "Periksa jaringan anjungan ke hub; kiriman menumpuk di anjungan.",
	"next_audit_inconsistent": "Hentikan pemakaian anjungan dan laporkan ke tim keamanan: log auditnya telah diubah.",
	"live_on":                 "Peringatan diperbarui langsung.",
	"login_throttled":         "Terlalu banyak percobaan masuk dengan nama ini. Tunggu %d detik, lalu coba lagi.",
	"reports":                 "Laporan bulanan blanko kartu", "back": "Kembali ke ringkasan", "month": "Bulan",
	"by_regency": "Per kabupaten/kota", "by_province": "Per provinsi",
	"reports_intro": "Saldo awal, kartu diterima, terpakai, rusak dan saldo akhir setiap printer kartu anjungan dalam cakupan Anda, dengan pemeriksaan kesesuaian. Batas bulan mengikuti zona waktu resmi provinsi (WIB, WITA, WIT).",
}

var consoleEN = map[string]string{
	"title": "Anjungan fleet console", "lang_toggle": "Bahasa Indonesia", "login": "Sign in", "logout": "Sign out",
	"name": "Account name", "password": "Password", "login_refused": "Wrong account name or password.",
	"refused_cross_site": "Request refused: it does not come from this console.",
	"scope":              "Scope", "kiosks": "Kiosks", "kiosk": "Kiosk", "region": "Region", "last_seen": "Last seen",
	"never": "never", "status": "Status", "printers": "Printers", "blanks": "Blank cards", "days_left": "days left",
	"days_left_inf": "none used", "prints": "Printed per day (7 days)", "failed": "failed/in doubt",
	"waiting": "Jobs waiting for a supervisor", "alerts": "Open alerts", "no_alerts": "No alerts.",
	"none": "None.", "next_step": "Next step", "since": "since", "document": "Document",
	"summary": "Summary", "offline_count": "offline", "out_count": "out of service", "waiting_count": "jobs waiting",
	"status_in_service": "In service", "status_out_of_service": "Out of service", "status_closed": "Closed",
	"status_offline": "Offline", "status_never_seen": "Never reported", "status_revoked": "Revoked",
	"for": "for", "supplies": "supplies",
	"kind_kiosk_offline": "Kiosk offline", "kind_printer_stopped": "Printer stopped", "kind_blank_cards_low": "Blank cards running low",
	"kind_paper_low": "Paper running low", "kind_backlog_growing": "Outbox growing", "kind_audit_inconsistent": "Audit log inconsistent",
	"next_kiosk_offline":      "Call the staff on site: check the kiosk's power and network.",
	"next_printer_stopped":    "Ask the staff to check the printer (jam, ribbon, cover) on the kiosk's console.",
	"next_blank_cards_low":    "Send blank cards to the site before they run out, and have the load recorded.",
	"next_paper_low":          "Ask the staff to refill the printer's paper.",
	"next_backlog_growing":    "Check the kiosk's network to the hub; events are piling up on the kiosk.",
	"next_audit_inconsistent": "Stop using the kiosk and report to the security team: its audit log was rewritten.",
	"live_on":                 "Alerts update live.",
	"login_throttled":         "Too many sign-in attempts with this name. Wait %d seconds, then try again.",
	"reports":                 "Monthly blank-card reports", "back": "Back to the overview", "month": "Month",
	"by_regency": "By regency", "by_province": "By province",
	"reports_intro": "Opening balance, cards received, used, spoiled and closing balance of every card printer of the kiosks in your scope, with the reconciliation check. Months end at midnight in the province's legal time zone (WIB, WITA, WIT).",
}
