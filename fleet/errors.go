package fleet

import "github.com/anjungan/anjungan/internal/fault"

// Error is the one error type of Anjungan (see internal/fault).
type Error = fault.Error

// Errors the hub returns. Codes are stable and travel in the HTTP body
// ({"code", "message_id", "message_en"}); docs/fleet.md lists each with
// its HTTP status, and fleet/http maps them. Messages are for operators.
var (
	ErrBatchInvalid = fault.New("batch_invalid",
		"Kiriman peristiwa tidak sah.",
		"The batch of events is not valid.")
	ErrEventInvalid = fault.New("event_invalid",
		"Sebuah peristiwa tidak sesuai dengan jenisnya.",
		"An event does not match its kind.")
	ErrPersonalData = fault.New("personal_data_refused",
		"Peristiwa berisi angka yang mirip NIK; hub menolaknya.",
		"An event holds a number that looks like a NIK; the hub refuses it.")
	ErrBatchTooLarge = fault.New("batch_too_large",
		"Kiriman peristiwa terlalu besar.",
		"The batch of events is too large.")
	ErrSequenceGap = fault.New("sequence_gap",
		"Urutan peristiwa terputus; kirim ulang dari nomor setelah yang diakui.",
		"The events leave a gap in the sequence; send again from the one after the acknowledged.")
	ErrCertificateMissing = fault.New("certificate_missing",
		"Anjungan tidak menunjukkan sertifikat klien.",
		"The kiosk presented no client certificate.")
	ErrKioskUnknown = fault.New("kiosk_unknown",
		"Anjungan ini tidak terdaftar di hub.",
		"This kiosk is not registered at the hub.")
	ErrKioskRevoked = fault.New("kiosk_revoked",
		"Sertifikat anjungan ini telah dicabut.",
		"This kiosk's certificate has been revoked.")
	ErrKioskExists = fault.New("kiosk_exists",
		"Anjungan dengan ID ini sudah terdaftar.",
		"A kiosk with this ID is already registered.")
	ErrStoreUnavailable = fault.New("store_unavailable",
		"Basis data hub sedang tidak tersedia; coba lagi nanti.",
		"The hub's database is unavailable; try again later.")
	ErrNotFound = fault.New("not_found",
		"Alamat tidak ditemukan.",
		"Not found.")
	ErrMethod = fault.New("method_not_allowed",
		"Metode tidak diizinkan.",
		"Method not allowed.")
	ErrWitnessRequestInvalid = fault.New("witness_request_invalid",
		"Permintaan saksi tidak sah.",
		"The witness request is not valid.")
	ErrCheckpointSignature = fault.New("checkpoint_signature_invalid",
		"Checkpoint tidak ditandatangani dengan kunci log audit anjungan yang terdaftar.",
		"The checkpoint is not signed by a registered audit key of the kiosk.")
	ErrWitnessConflict = fault.New("witness_conflict",
		"Ukuran lama tidak sama dengan yang terakhir ditandatangani hub; buktikan dari ukuran hub.",
		"The old size is not the one the hub cosigned last; prove from the hub's size.")
	ErrAuditInconsistent = fault.New("audit_inconsistent",
		"Checkpoint tidak konsisten dengan yang telah ditandatangani hub; log audit anjungan ini telah diubah.",
		"The checkpoint is not consistent with the one the hub cosigned; this kiosk's audit log was rewritten.")
)

// Errors lists every error the hub sends, for the doc test.
var Errors = []*Error{ErrBatchInvalid, ErrEventInvalid, ErrPersonalData, ErrBatchTooLarge,
	ErrSequenceGap, ErrCertificateMissing, ErrKioskUnknown, ErrKioskRevoked, ErrStoreUnavailable,
	ErrNotFound, ErrMethod, ErrWitnessRequestInvalid, ErrCheckpointSignature, ErrWitnessConflict,
	ErrAuditInconsistent}
