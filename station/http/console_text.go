package http

// texts returns the console's words in lang ("id" or "en"). Bahasa
// Indonesia comes first; every key exists in both (see the test).
// The maps are built once and shared: callers only read them.
func texts(lang string) map[string]string {
	if lang == "en" {
		return textsEN
	}
	return textsID
}

var textsID, textsEN = addWords(consoleID(), "id"), addWords(consoleEN(), "en")

func consoleID() map[string]string {
	return map[string]string{
		"title": "Konsol Anjungan", "lang_toggle": "English", "nav_overview": "Hari ini", "nav_audit": "Jejak audit",
		"nav_ledger": "Blanko kartu", "nav_integrity": "Integritas", "logout": "Keluar", "login": "Masuk",
		"name": "Nama akun", "password": "Kata sandi", "role": "Peran",
		"login_refused":      "Nama akun atau kata sandi salah.",
		"login_throttled":    "Terlalu banyak percobaan masuk. Silakan coba lagi dalam 15 menit.",
		"refused_cross_site": "Permintaan ditolak: tidak berasal dari konsol ini.",
		"refused_no_session": "Sesi Anda telah berakhir. Silakan masuk kembali.",
		"refused_csrf":       "Formulir sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.",
		"refused_forbidden":  "Peran Anda tidak diizinkan membuka halaman atau melakukan tindakan ini.",
		"error_title":        "Tidak dapat dilanjutkan", "back": "Kembali ke halaman utama",
		"today": "Hari ini", "printed_today": "Dicetak hari ini", "failed_today": "Gagal atau dibatalkan hari ini", "held": "Ditahan",
		"in_doubt": "Perlu keputusan (hasil tidak pasti)", "printers": "Printer", "printer": "Printer", "state": "Status",
		"reasons": "Kondisi", "supplies": "Persediaan", "blanks_left": "Sisa blanko kartu", "alerts": "Peringatan",
		"no_alerts": "Tidak ada peringatan.", "recent_jobs": "Pekerjaan cetak terbaru", "job": "Pekerjaan", "ref": "Referensi",
		"document": "Dokumen", "reason": "Alasan", "card_serial": "Nomor seri kartu", "updated": "Diperbarui",
		"created": "Dibuat", "attempts": "Percobaan", "media": "Media", "none": "Tidak ada.",
		"resolve": "Putuskan hasil cetak", "action_printed": "Sudah tercetak dengan baik",
		"action_reprint": "Cetak ulang (wajib pilih alasan)", "action_void": "Batalkan kartu (rusak/salah; wajib pilih alasan)",
		"reason_code": "Alasan (untuk cetak ulang atau pembatalan)", "reason_code_none": "— pilih alasan —",
		"only_reprint": "hanya cetak ulang", "only_void": "hanya pembatalan",
		"note":      "Catatan (tidak wajib)",
		"note_hint": "Catatan tidak masuk log audit dan dapat dihapus. Jangan tulis nama, NIK, atau data lain warga.",
		"submit":    "Simpan keputusan", "release": "Lepaskan ke antrean", "resume": "Jalankan kembali",
		"ledger": "Buku blanko kartu", "loaded": "Dimuat", "used_printed": "Tercetak", "rejected": "Ditolak printer",
		"voided": "Dibatalkan", "remaining": "Sisa", "hopper": "Hitungan printer", "low_stock": "Batas menipis",
		"record_load": "Catat pemuatan blanko", "count": "Jumlah", "first_serial": "Seri pertama", "last_serial": "Seri terakhir",
		"audit": "Jejak audit", "from": "Dari", "to": "Sampai", "kind": "Jenis", "outcome": "Hasil", "filter": "Saring",
		"nik": "NIK", "nik_lookup": "Cari menurut NIK (dicatat dalam audit)", "export_csv": "Ekspor CSV",
		"index": "No.", "time": "Waktu", "actor": "Pelaku", "subject": "Subjek (hash)", "fields": "Rincian",
		"older": "Lebih lama", "no_entries": "Tidak ada entri.", "results_for": "Hasil untuk NIK",
		"integrity": "Integritas log audit", "station_log": "Log anjungan", "printerd_log": "Log layanan cetak",
		"no_checkpoint": "Belum ada checkpoint.", "last_verify": "Verifikasi terakhir", "never_verified": "Belum pernah diverifikasi sejak konsol dijalankan.",
		"verify_now": "Verifikasi sekarang", "verify_ok": "Utuh", "verify_failed": "GAGAL",
		"done_resolved": "Keputusan disimpan.", "done_released": "Pekerjaan dikembalikan ke antrean.",
		"done_resumed": "Printer dijalankan kembali.", "done_loaded": "Pemuatan blanko dicatat.", "done_verified": "Verifikasi selesai.",
		"alert_in_doubt": "Pekerjaan menunggu keputusan", "alert_officer_called": "Warga di anjungan memanggil petugas",
		"counts_partial":  "Hitungan tidak lengkap: printerd mencantumkan paling banyak 1000 pekerjaan sekaligus.",
		"alert_unsettled": "Cetakan belum dilaporkan ke Dukcapil pusat",
		"unsettled":       "Cetakan yang belum dilaporkan ke Dukcapil pusat", "unsettled_about": "Anjungan terus mencoba sampai diterima. Selama itu permohonan tidak dapat dicetak di anjungan lain.",
		"owed": "Yang dilaporkan", "since": "Sejak", "tries": "Percobaan", "last_error": "Kesalahan terakhir", "stage": "Tahap",
		"nav_exports": "Ekspor", "exports": "Ekspor", "daily_report": "Laporan harian (PDF)", "day": "Tanggal",
		"download_pdf": "Unduh PDF",
		"report_about": "Cetakan menurut jenis dokumen dan hasil, kegagalan dan pekerjaan tidak pasti, blanko kartu, checkpoint kedua log audit, dan grafik cetakan per jam. Tanpa data pribadi. Setiap unduhan dicatat dalam audit.",
	}
}

func consoleEN() map[string]string {
	return map[string]string{
		"title": "Anjungan console", "lang_toggle": "Bahasa Indonesia", "nav_overview": "Today", "nav_audit": "Audit trail",
		"nav_ledger": "Blank cards", "nav_integrity": "Integrity", "logout": "Log out", "login": "Log in",
		"name": "Account name", "password": "Password", "role": "Role",
		"login_refused":      "Wrong account name or password.",
		"login_throttled":    "Too many login attempts. Please try again in 15 minutes.",
		"refused_cross_site": "Request refused: it did not come from this console.",
		"refused_no_session": "Your session has ended. Please log in again.",
		"refused_csrf":       "The form has expired. Reload the page and try again.",
		"refused_forbidden":  "Your role may not open this page or take this action.",
		"error_title":        "Cannot continue", "back": "Back to the overview",
		"today": "Today", "printed_today": "Printed today", "failed_today": "Failed or canceled today", "held": "Held",
		"in_doubt": "Needs a decision (outcome unknown)", "printers": "Printers", "printer": "Printer", "state": "State",
		"reasons": "Conditions", "supplies": "Supplies", "blanks_left": "Blank cards left", "alerts": "Alerts",
		"no_alerts": "No alerts.", "recent_jobs": "Recent print jobs", "job": "Job", "ref": "Reference",
		"document": "Document", "reason": "Reason", "card_serial": "Card serial", "updated": "Updated",
		"created": "Created", "attempts": "Attempts", "media": "Media", "none": "None.",
		"resolve": "Decide the outcome", "action_printed": "It printed fine",
		"action_reprint": "Reprint (choose a reason)", "action_void": "Void the card (damaged/wrong; choose a reason)",
		"reason_code": "Reason (to reprint or void)", "reason_code_none": "— choose a reason —",
		"only_reprint": "reprint only", "only_void": "void only",
		"note":      "Note (optional)",
		"note_hint": "The note stays out of the audit log and can be erased. Do not write a citizen's name, NIK or other data.",
		"submit":    "Save decision", "release": "Release to the queue", "resume": "Resume",
		"ledger": "Blank-card ledger", "loaded": "Loaded", "used_printed": "Printed", "rejected": "Rejected by printer",
		"voided": "Voided", "remaining": "Remaining", "hopper": "Printer's count", "low_stock": "Low-stock threshold",
		"record_load": "Record a load of blank cards", "count": "Count", "first_serial": "First serial", "last_serial": "Last serial",
		"audit": "Audit trail", "from": "From", "to": "To", "kind": "Kind", "outcome": "Outcome", "filter": "Filter",
		"nik": "NIK", "nik_lookup": "Look up by NIK (recorded in the audit log)", "export_csv": "Export CSV",
		"index": "No.", "time": "Time", "actor": "Actor", "subject": "Subject (hash)", "fields": "Details",
		"older": "Older", "no_entries": "No entries.", "results_for": "Results for NIK",
		"integrity": "Audit log integrity", "station_log": "Station log", "printerd_log": "Print service log",
		"no_checkpoint": "No checkpoint yet.", "last_verify": "Last verification", "never_verified": "Not verified since the console started.",
		"verify_now": "Verify now", "verify_ok": "Intact", "verify_failed": "FAILED",
		"done_resolved": "Decision saved.", "done_released": "Job sent back to the queue.",
		"done_resumed": "Printer resumed.", "done_loaded": "Load of blank cards recorded.", "done_verified": "Verification finished.",
		"alert_in_doubt": "Jobs waiting for a decision", "alert_officer_called": "A citizen at the kiosk calls an officer",
		"counts_partial":  "Counts incomplete: printerd lists at most 1000 jobs at once.",
		"alert_unsettled": "Prints not yet reported to the civil registry",
		"unsettled":       "Prints not yet reported to the civil registry", "unsettled_about": "The kiosk keeps trying until the registry acknowledges. Meanwhile no other kiosk can print the request.",
		"owed": "To report", "since": "Since", "tries": "Tries", "last_error": "Last error", "stage": "Stage",
		"nav_exports": "Exports", "exports": "Exports", "daily_report": "Daily report (PDF)", "day": "Day",
		"download_pdf": "Download PDF",
		"report_about": "Prints by document type and outcome, failures and in-doubt jobs, blank cards, the checkpoints of both audit logs, and a chart of prints per hour. No personal data. Every download is recorded in the audit log.",
	}
}
