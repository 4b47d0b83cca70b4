package printerd

import "github.com/anjungan/anjungan/internal/fault"

// Error is the one error type of Anjungan (see internal/fault).
type Error = fault.Error

// Errors printerd returns. Codes are stable and travel over the API
// unchanged, so errors.Is works on both sides of the socket. Messages are
// safe to show a citizen.
var (
	ErrJobNotFound = fault.New("job_not_found",
		"Pekerjaan cetak tidak ditemukan.",
		"The print job was not found.")
	ErrIdempotencyConflict = fault.New("idempotency_conflict",
		"Permintaan cetak ini bertentangan dengan permintaan sebelumnya. Dokumen tidak dicetak. Silakan hubungi petugas.",
		"This print request conflicts with an earlier one. Nothing was printed. Please ask an officer.")
	ErrInvalidJob = fault.New("job_invalid",
		"Permintaan cetak tidak lengkap atau tidak sah. Dokumen tidak dicetak.",
		"The print request is incomplete or not valid. Nothing was printed.")
	ErrInvalidRequest = fault.New("request_invalid",
		"Permintaan tidak sah.",
		"The request is not valid.")
	ErrJobState = fault.New("job_state_conflict",
		"Status pekerjaan cetak sudah berubah. Silakan periksa kembali.",
		"The print job has already moved on. Please check it again.")
	ErrNoPrinter = fault.New("no_printer",
		"Tidak ada printer untuk jenis dokumen ini. Silakan hubungi petugas.",
		"There is no printer for this kind of document. Please ask an officer.")
	ErrSpoolUnavailable = fault.New("spool_unavailable",
		"Printer tidak dapat menerima dokumen baru saat ini. Silakan hubungi petugas.",
		"The printer cannot accept new documents right now. Please ask an officer.")
	ErrJournal = fault.New("journal_unavailable",
		"Layanan cetak sedang mengalami gangguan. Silakan hubungi petugas.",
		"The print service has a problem. Please ask an officer.")
	ErrNoPrinterReady = fault.New("printer_not_ready",
		"Tidak ada printer yang siap mencetak. Silakan hubungi petugas.",
		"No printer is ready to print. Please ask an officer.")
	ErrUnreachable = fault.New("printerd_unreachable",
		"Layanan cetak tidak dapat dihubungi. Silakan hubungi petugas.",
		"The print service cannot be reached. Please ask an officer.")
)

// Errors of supervisor actions and printer abilities.
var (
	// The reason code errors are request_invalid (errors.Is matches
	// ErrInvalidRequest) with a message that names the field, so that a
	// client written before reason codes learns what is missing.
	ErrReasonCodeMissing = fault.New("request_invalid",
		"Pilih kode alasan (reason_code) untuk cetak ulang atau pembatalan kartu; catatan (reason) saja tidak cukup.",
		"Choose a reason code (reason_code) for a reprint or a void; a note (reason) alone is not enough.")
	ErrReasonCodeInvalid = fault.New("request_invalid",
		"Kode alasan (reason_code) tidak dikenal atau tidak berlaku untuk tindakan ini.",
		"The reason code (reason_code) is unknown or does not apply to this action.")
	ErrPrinterNotFound = fault.New("printer_not_found",
		"Printer tidak ditemukan.",
		"The printer was not found.")
	ErrNotSupported = fault.New("printer_ability_missing",
		"Printer ini tidak mendukung tindakan tersebut.",
		"This printer does not support that action.")
)

// Errors of a device that misbehaves: the device, not the job, is at
// fault, so the dispatcher stops the printer whatever the outcome, and
// printerd logs them at error level.
var (
	// ErrDriverPanic: a driver (vendor code) panicked in Print, Status or
	// Capabilities. The dispatcher recovers it; a print it cut short is
	// in doubt, since printerd cannot know whether a byte went out.
	ErrDriverPanic = fault.New("driver_panic",
		"Printer mengalami gangguan. Petugas akan memeriksa apakah dokumen sudah tercetak.",
		"The printer had a fault. An officer will check whether the document was printed.")
	// ErrMalformedReply: the printer sent a reply its protocol cannot
	// decode (a malformed IPP message, say).
	ErrMalformedReply = fault.New("printer_reply_malformed",
		"Printer mengirim jawaban yang tidak dapat dibaca. Silakan hubungi petugas.",
		"The printer sent a reply that cannot be read. Please ask an officer.")
)

// ErrNoCheckpoint: the audit log has no signed checkpoint yet (none is
// signed before the first entry).
var ErrNoCheckpoint = fault.New("audit_checkpoint_missing",
	"Log audit belum memiliki checkpoint bertanda tangan.",
	"The audit log has no signed checkpoint yet.")
