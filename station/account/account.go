// Package account holds the supervisors' console accounts and sessions:
// roles and what each may do, argon2id password hashes, session ids that
// are stored only hashed, login throttling, and the Store the console
// keeps them in. It imports no adapter; station/sqlite implements Store.
package account

import (
	"context"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// Role is what a console account is for.
type Role string

// Roles.
const (
	// Supervisor may do everything, including look up a NIK and resolve
	// jobs in doubt.
	Supervisor Role = "supervisor"
	// Technician looks after printers, supplies and the blank-card
	// ledger; they see no personal data and no audit subjects.
	Technician Role = "technician"
	// Auditor reads: the overview, the audit timeline, integrity and
	// exports. They change nothing but may run a verification.
	Auditor Role = "auditor"
)

// Roles lists every role.
func Roles() []Role { return []Role{Supervisor, Technician, Auditor} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Supervisor || r == Technician || r == Auditor }

// Permission is one thing a console page or action needs.
type Permission string

// Permissions of the console.
const (
	SeeOverview    Permission = "overview"   // today at a glance
	SeeJobs        Permission = "jobs"       // a job's detail (no personal data)
	ResolveJobs    Permission = "resolve"    // decide on an in-doubt job
	ReleaseJobs    Permission = "release"    // send a held job back to the queue
	ManagePrinters Permission = "printers"   // resume a stopped printer
	SeeLedger      Permission = "ledger"     // the blank-card ledger
	LoadCards      Permission = "load"       // record a load of blank cards
	SeeAudit       Permission = "audit"      // the timeline, with subject hashes
	LookupNIK      Permission = "nik_lookup" // filter the timeline by a NIK
	SeeIntegrity   Permission = "integrity"  // checkpoints and verification
	Export         Permission = "export"     // CSV of the timeline
	Report         Permission = "report"     // the daily PDF report (no personal data)
	VerifyLog      Permission = "verify"     // run a verification now
	DestroyCards   Permission = "destroy"    // sign a destruction of spoiled blank cards
	LiftPINLockout Permission = "pin_lift"   // lift a NIK's PIN lockout (names a NIK, like a lookup)
)

// grants is each role's permissions. Kept as a function, not a global,
// so that nobody can change it at run time.
func grants(r Role) []Permission {
	switch r {
	case Supervisor:
		return []Permission{SeeOverview, SeeJobs, ResolveJobs, ReleaseJobs, ManagePrinters, SeeLedger,
			LoadCards, SeeAudit, LookupNIK, SeeIntegrity, Export, Report, VerifyLog, DestroyCards, LiftPINLockout}
	case Technician:
		return []Permission{SeeOverview, SeeJobs, ReleaseJobs, ManagePrinters, SeeLedger, LoadCards, Report}
	case Auditor:
		return []Permission{SeeOverview, SeeJobs, SeeAudit, SeeIntegrity, Export, Report, VerifyLog}
	}
	return nil
}

// Can reports whether r grants p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants(r) {
		if g == p {
			return true
		}
	}
	return false
}

// Account is a console user.
type Account struct {
	Name     string
	Role     Role
	Hash     string // PHC string of the argon2id hash (see Hash)
	Created  time.Time
	Disabled bool
}

// MaxName bounds an account name.
const MaxName = 64

// ValidName checks an account name: 1–64 of a-z, 0-9, '.', '_', '-'.
// Names appear in audit entries as the actor, so they are plain words.
func ValidName(name string) error {
	if name == "" || len(name) > MaxName {
		return ErrInvalid.Withf("name length %d", len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return ErrInvalid.Withf("name byte %d is not a-z, 0-9, '.', '_' or '-'", i)
		}
	}
	return nil
}

// Session is a logged-in console user. The session id itself is only in
// the browser's cookie; the store keeps its SHA-256 (IDHash), so a copy
// of the database opens no session.
type Session struct {
	IDHash   string
	Account  string
	Role     Role
	CSRF     string // the per-session token forms carry
	Created  time.Time
	LastSeen time.Time
}

// Session lifetimes.
const (
	IdleTimeout     = 15 * time.Minute
	AbsoluteTimeout = 8 * time.Hour
)

// Expired reports whether s may no longer be used at now: idle for 15
// minutes, or 8 hours old.
func (s Session) Expired(now time.Time) bool {
	return now.Sub(s.LastSeen) >= IdleTimeout || now.Sub(s.Created) >= AbsoluteTimeout
}

// Store keeps accounts and sessions.
type Store interface {
	// AddAccount stores a new account; an existing name is ErrExists.
	AddAccount(ctx context.Context, a Account) error
	// Account returns the named account, or ErrNotFound.
	Account(ctx context.Context, name string) (Account, error)
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session whose id hashes to idHash, or
	// ErrNoSession.
	Session(ctx context.Context, idHash string) (Session, error)
	// TouchSession records that the session was used at t.
	TouchSession(ctx context.Context, idHash string, t time.Time) error
	// DeleteSession ends a session; an unknown one is not an error.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpired removes every session expired at now.
	DeleteExpired(ctx context.Context, now time.Time) error
}

// Errors of accounts and sessions.
var (
	ErrInvalid = fault.New("account_invalid",
		"Data akun tidak sah.",
		"The account data is not valid.")
	ErrExists = fault.New("account_exists",
		"Akun dengan nama itu sudah ada.",
		"An account with that name already exists.")
	ErrNotFound = fault.New("account_not_found",
		"Akun tidak ditemukan.",
		"The account was not found.")
	ErrNoSession = fault.New("console_session_invalid",
		"Sesi Anda telah berakhir. Silakan masuk kembali.",
		"Your session has ended. Please log in again.")
	ErrLoginRefused = fault.New("console_login_refused",
		"Nama akun atau kata sandi salah.",
		"Wrong account name or password.")
	ErrThrottled = fault.New("console_login_throttled",
		"Terlalu banyak percobaan masuk. Silakan coba lagi nanti.",
		"Too many login attempts. Please try again later.")
)
