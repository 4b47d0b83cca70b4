package sqlite

import "github.com/anjungan/anjungan/internal/audit"

// witnessSchema keeps the fleet hub witness's cosignatures (migration 8).
const witnessSchema = audit.CosignSchema

// CosignLog is the audit log as the witness sender (internal/witnesssend)
// sees it: reads on the read pool, the stored cosignature on the writer.
func (d *DB) CosignLog() audit.CosignLog { return audit.CosignLog{Read: d.read, Write: d.write} }
