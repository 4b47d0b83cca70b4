package journal

import "github.com/anjungan/anjungan/internal/audit"

// schemaV10 keeps the fleet hub witness's cosignatures of the audit log's
// checkpoints (docs/fleet.md, "Witness").
const schemaV10 = audit.CosignSchema

// CosignLog is the audit log as the witness sender (internal/witnesssend) sees it.
func (j *Journal) CosignLog() audit.CosignLog { return audit.CosignLog{Read: j.db, Write: j.db} }
