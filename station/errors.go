package station

import "github.com/anjungan/anjungan/internal/fault"

// Error is the one error type of Anjungan (see internal/fault).
type Error = fault.Error

// Errors the station returns. Codes are stable; messages are shown to the
// citizen as they are.
var (
	ErrNIKInvalid = fault.New("nik_invalid",
		"NIK tidak valid. Periksa kembali 16 digit NIK Anda.",
		"This NIK is not valid. Please check your 16-digit NIK.")
	ErrTicketInvalid = fault.New("ticket_invalid",
		"Tiket QR tidak dapat dibaca atau tidak sah. Silakan hubungi petugas.",
		"This QR ticket cannot be read or is not genuine. Please ask an officer.")
	// ErrNotATicket refuses a scanned code that is not an Anjungan
	// ticket at all (another QR code, a typed text): not a forgery, just
	// the wrong code.
	ErrNotATicket = fault.New("not_a_ticket",
		"Kode QR ini bukan tiket Anjungan. Pindai kode QR dari pesan persetujuan Dukcapil (SMS atau email), atau masuk dengan NIK + PIN.",
		"This QR code is not an Anjungan ticket. Scan the QR code from your Dukcapil approval message (SMS or email), or sign in with NIK + PIN.")
	ErrTicketExpired = fault.New("ticket_expired",
		"Tiket QR sudah tidak berlaku. Silakan ajukan tiket baru.",
		"This QR ticket has expired. Please request a new one.")
	ErrTicketUsed = fault.New("ticket_used",
		"Tiket ini sudah dipakai untuk mencetak dan tidak dapat dipakai lagi; tidak ada yang dicetak. Jika dokumen Anda hilang, rusak, atau belum Anda terima, tunjukkan tiket ini kepada petugas.",
		"This ticket has already been used to print and cannot be used again; nothing was printed. If your document is lost, damaged or never reached you, show this ticket to an officer.")
	ErrCredentialsRejected = fault.New("credentials_rejected",
		"NIK atau PIN tidak cocok. Periksa kembali, atau hubungi petugas.",
		"The NIK or PIN does not match. Please check them, or ask an officer.")
	ErrTooManyAttempts = fault.New("too_many_attempts",
		"Terlalu banyak percobaan. Silakan coba lagi nanti atau hubungi petugas.",
		"Too many attempts. Please try again later or ask an officer.")
	ErrNothingToPrint = fault.New("nothing_to_print",
		"Tidak ada dokumen yang siap dicetak untuk Anda.",
		"There is no document ready to print for you.")
	ErrSessionExpired = fault.New("session_expired",
		"Sesi Anda sudah berakhir. Silakan mulai lagi.",
		"Your session has ended. Please start again.")
	ErrRequestNotFound = fault.New("request_not_found",
		"Dokumen ini tidak ada dalam daftar Anda.",
		"This document is not in your list.")
	ErrRequestReserved = fault.New("request_reserved",
		"Dokumen ini sedang disiapkan di anjungan lain. Silakan coba lagi beberapa menit lagi.",
		"This document is being prepared at another kiosk. Please try again in a few minutes.")
	ErrRequestPrinting = fault.New("request_printing",
		"Dokumen ini sedang dicetak. Jika Anda belum menerimanya, hubungi petugas.",
		"This document is being printed. If you have not received it, ask an officer.")
	ErrAlreadyPrinted = fault.New("already_printed",
		"Dokumen ini sudah dicetak. Untuk cetak ulang, hubungi petugas.",
		"This document has already been printed. Ask an officer for a reprint.")
	// ErrDocumentSignatureInvalid refuses a document whose QR is not the
	// upstream's valid signature over exactly its data: altered after
	// signing, a claim that differs, a bad signature or an unknown key.
	ErrDocumentSignatureInvalid = fault.New("document_signature_invalid",
		"Tanda tangan Dukcapil pada dokumen ini tidak sah. Dokumen tidak dicetak dan tiket Anda tetap berlaku. Silakan hubungi petugas.",
		"The civil registry's signature on this document is not valid. Nothing was printed and your ticket is still valid. Please ask an officer.")
	ErrSubjectMismatch = fault.New("subject_mismatch",
		"Data dokumen tidak sesuai dengan identitas Anda. Dokumen tidak dicetak. Silakan hubungi petugas.",
		"The document does not match your identity. Nothing was printed. Please ask an officer.")
	ErrUpstreamUnavailable = fault.New("upstream_unavailable",
		"Layanan Dukcapil sedang tidak dapat dihubungi. Silakan coba beberapa saat lagi.",
		"The civil registry cannot be reached right now. Please try again shortly.")
	ErrUpstreamInvalid = fault.New("upstream_invalid",
		"Data dari layanan Dukcapil tidak lengkap. Dokumen tidak dicetak. Silakan hubungi petugas.",
		"The civil registry sent incomplete data. Nothing was printed. Please ask an officer.")
	ErrRenderFailed = fault.New("render_failed",
		"Dokumen tidak dapat disiapkan untuk dicetak. Silakan hubungi petugas.",
		"The document could not be prepared for printing. Please ask an officer.")
	ErrPrinterUnavailable = fault.New("printer_unavailable",
		"Printer sedang tidak dapat digunakan. Tiket Anda tetap berlaku. Silakan hubungi petugas.",
		"The printer cannot be used right now. Your ticket is still valid. Please ask an officer.")
	// ErrKioskOutOfService refuses a login none of whose approved
	// documents can print at this kiosk now; the copy returned names them
	// and why (outOfService).
	ErrKioskOutOfService = fault.New("kiosk_out_of_service",
		"Anjungan ini sedang tidak dapat mencetak dokumen Anda. Tiket atau PIN Anda tetap berlaku. Silakan hubungi petugas atau kembali nanti.",
		"This kiosk cannot print your documents right now. Your ticket or PIN is still valid. Please ask an officer or come back later.")
	// ErrDocumentUnavailable refuses to prepare a document whose printer
	// cannot take it now, before the citizen waits for it.
	ErrDocumentUnavailable = fault.New("document_unavailable",
		"Dokumen ini tidak dapat dicetak sekarang. Tidak ada yang dicetak dan tiket Anda tetap berlaku.",
		"This document cannot be printed right now. Nothing was printed and your ticket is still valid.")
	ErrCardUnreadable = fault.New("card_unreadable",
		"KTP-el tidak dapat dibaca. Tempelkan lagi kartu Anda dan tahan sampai selesai.",
		"The e-KTP could not be read. Tap your card again and hold it until done.")
)

// Errors about a print's outcome, shown on the kiosk after submission.
var (
	ErrPrintFailed = fault.New("print_failed",
		"Pencetakan gagal. Tidak ada dokumen yang tercetak dan tiket Anda tetap berlaku. Silakan hubungi petugas.",
		"Printing failed. Nothing was printed and your ticket is still valid. Please ask an officer.")
	ErrPrintHeld = fault.New("print_held",
		"Printer sedang bermasalah dan pencetakan ditahan. Petugas akan membantu Anda; tiket Anda tetap berlaku.",
		"The printer has a problem and your print is on hold. An officer will help you; your ticket is still valid.")
	ErrPrintInDoubt = fault.New("print_in_doubt",
		"Hasil cetak belum dapat dipastikan. Petugas akan memeriksa dan membantu Anda.",
		"We cannot confirm whether your document printed. An officer will check and help you.")
)
