package fleet

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The console's rules: who sees which kiosk, and what the overview shows.
// fleet/http renders them; fleet/postgres keeps users and sessions.

// ScopeKind says how a supervisor's scope is bounded.
type ScopeKind string

// Scope kinds.
const (
	ScopeAll      ScopeKind = "all"      // the ministry: every kiosk
	ScopeProvince ScopeKind = "province" // one province code ("32")
	ScopeRegency  ScopeKind = "regency"  // one regency code ("3273")
	ScopeKiosks   ScopeKind = "kiosks"   // a list of kiosk IDs
)

// Scope is the set of kiosks a console user sees. Its text form is
// "all", "province:32", "regency:3273" or "kiosks:ID,ID".
type Scope struct {
	Kind  ScopeKind
	Codes []string // one code for a province or regency; the IDs for kiosks
}

var (
	provinceCode = regexp.MustCompile(`^[0-9]{2}$`)
	regencyCode  = regexp.MustCompile(`^[0-9]{4}$`)
)

// ErrScopeInvalid is a scope that does not parse.
var ErrScopeInvalid = errors.New("scope: want all, province:NN, regency:NNNN or kiosks:ID,ID")

// ParseScope reads a scope's text form.
func ParseScope(s string) (Scope, error) {
	if s == string(ScopeAll) {
		return Scope{Kind: ScopeAll}, nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Scope{}, fmt.Errorf("%w: %q", ErrScopeInvalid, s)
	}
	switch ScopeKind(kind) {
	case ScopeProvince:
		if !provinceCode.MatchString(rest) {
			return Scope{}, fmt.Errorf("%w: province %q", ErrScopeInvalid, rest)
		}
		return Scope{Kind: ScopeProvince, Codes: []string{rest}}, nil
	case ScopeRegency:
		if !regencyCode.MatchString(rest) {
			return Scope{}, fmt.Errorf("%w: regency %q", ErrScopeInvalid, rest)
		}
		return Scope{Kind: ScopeRegency, Codes: []string{rest}}, nil
	case ScopeKiosks:
		ids := strings.Split(rest, ",")
		for _, id := range ids {
			if !KioskIDPattern.MatchString(id) {
				return Scope{}, fmt.Errorf("%w: kiosk %q", ErrScopeInvalid, id)
			}
		}
		sort.Strings(ids)
		return Scope{Kind: ScopeKiosks, Codes: ids}, nil
	}
	return Scope{}, fmt.Errorf("%w: %q", ErrScopeInvalid, s)
}

// String is the scope's text form, as ParseScope reads it.
func (s Scope) String() string {
	if s.Kind == ScopeAll {
		return string(ScopeAll)
	}
	return string(s.Kind) + ":" + strings.Join(s.Codes, ",")
}

// Sees reports whether a user of this scope may see the kiosk with this
// ID and region. An empty (zero) scope sees nothing.
func (s Scope) Sees(id, regency, province string) bool {
	switch s.Kind {
	case ScopeAll:
		return true
	case ScopeProvince:
		return len(s.Codes) == 1 && province == s.Codes[0]
	case ScopeRegency:
		return len(s.Codes) == 1 && regency == s.Codes[0]
	case ScopeKiosks:
		for _, c := range s.Codes {
			if c == id {
				return true
			}
		}
	}
	return false
}

// User is a console user: a supervisor of the kiosks of Scope.
type User struct {
	Name         string
	PasswordHash string // argon2id, PHC string (station/account.Hash)
	Scope        Scope
	CreatedAt    time.Time
}

// UserNamePattern is what a console user's name may look like.
var UserNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ErrNoUser is an unknown user or an expired or unknown session.
var ErrNoUser = errors.New("no such user or session")

// ErrUserExists is a user name already taken.
var ErrUserExists = errors.New("user exists")

// ConsoleStore is what the console reads and keeps; fleet/postgres
// implements it. Sessions are kept by the SHA-256 of their ID, so the
// database alone does not let anyone take over a session.
type ConsoleStore interface {
	Snapshot(ctx context.Context, since time.Time) (Snapshot, error)
	// OpenAlertList returns every open alert, oldest first.
	OpenAlertList(ctx context.Context) ([]Alert, error)
	AddUser(ctx context.Context, u User) error
	User(ctx context.Context, name string) (User, error)
	NewSession(ctx context.Context, idHash []byte, user string, expires time.Time) error
	// SessionUser returns the user of an unexpired session (ErrNoUser otherwise).
	SessionUser(ctx context.Context, idHash []byte, now time.Time) (User, error)
	EndSession(ctx context.Context, idHash []byte) error
	BlankReportStore
}

// Kiosk service status as the console shows it.
const (
	StatusInService    = "in_service"
	StatusOutOfService = "out_of_service"
	StatusClosed       = "closed"
	StatusOffline      = "offline"
	StatusNeverSeen    = "never_seen"
	StatusRevoked      = "revoked"
)

// Overview is the console's main page for one user.
type Overview struct {
	Days     []string // the last 7 days, oldest first (2006-01-02)
	Kiosks   []KioskView
	Alerts   []Alert // open alerts of the user's kiosks, oldest first
	Waiting  int     // failed and in-doubt jobs waiting across the kiosks
	Offline  int
	OutOfSvc int
}

// KioskView is one kiosk's row.
type KioskView struct {
	KioskStatus
	Status   string
	Silent   time.Duration // since the last event (or enrolment)
	DaysLeft []float64     // per Blanks entry, DaysLeft at the window's rate
	Prints   []DocPrints   // per document type, printed per day of Overview.Days
}

// DocPrints is a document type's printed count per day.
type DocPrints struct {
	DocumentType string
	PerDay       []int
	Failed       int // failed and in-doubt outcomes in the 7 days
}

// StatusOf is a kiosk's service status at now: offline when silent for
// longer than offline, else what it last said.
func StatusOf(k KioskStatus, now time.Time, offline time.Duration) (string, time.Duration) {
	seen := k.EnrolledAt
	if k.LastSeen != nil {
		seen = *k.LastSeen
	}
	silent := now.Sub(seen)
	switch {
	case k.RevokedAt != nil:
		return StatusRevoked, silent
	case silent > offline:
		return StatusOffline, silent
	case k.LastSeen == nil || k.State == "":
		return StatusNeverSeen, silent
	case k.State == "out_of_service":
		return StatusOutOfService, silent
	case k.State == "closed":
		return StatusClosed, silent
	}
	return StatusInService, silent
}

// BuildOverview is what user sees of snap and the open alerts at now:
// only the kiosks (and their alerts) its scope covers. snap is expected
// to be taken with since = now - th.BlankWindow.
func BuildOverview(snap Snapshot, alerts []Alert, sc Scope, now time.Time, th Thresholds) Overview {
	var o Overview
	today := now.UTC().Truncate(24 * time.Hour)
	for i := 6; i >= 0; i-- {
		o.Days = append(o.Days, today.AddDate(0, 0, -i).Format("2006-01-02"))
	}
	dayIndex := map[string]int{}
	for i, d := range o.Days {
		dayIndex[d] = i
	}
	for _, k := range snap.Kiosks {
		if !sc.Sees(k.ID, k.Regency, k.Province) {
			continue
		}
		v := KioskView{KioskStatus: k}
		v.Status, v.Silent = StatusOf(k, now, th.Offline)
		for _, b := range k.Blanks {
			v.DaysLeft = append(v.DaysLeft, DaysLeft(b, th.BlankWindow))
		}
		byType := map[string]*DocPrints{}
		for _, p := range k.Prints {
			i, ok := dayIndex[p.Day]
			if !ok {
				continue
			}
			d := byType[p.DocumentType]
			if d == nil {
				d = &DocPrints{DocumentType: p.DocumentType, PerDay: make([]int, len(o.Days))}
				byType[p.DocumentType] = d
			}
			switch p.Outcome {
			case "printed", "resolved_printed":
				d.PerDay[i] += p.Count
			case "failed", "in_doubt":
				d.Failed += p.Count
			}
		}
		for _, d := range byType {
			v.Prints = append(v.Prints, *d)
		}
		sort.Slice(v.Prints, func(i, j int) bool { return v.Prints[i].DocumentType < v.Prints[j].DocumentType })
		o.Waiting += len(k.Waiting)
		switch v.Status {
		case StatusOffline:
			o.Offline++
		case StatusOutOfService:
			o.OutOfSvc++
		}
		o.Kiosks = append(o.Kiosks, v)
	}
	o.Alerts = VisibleAlerts(alerts, sc)
	return o
}

// VisibleAlerts keeps the alerts of the kiosks sc sees.
func VisibleAlerts(alerts []Alert, sc Scope) []Alert {
	var out []Alert
	for _, a := range alerts {
		if sc.Sees(a.Kiosk, a.Regency, a.Province) {
			out = append(out, a)
		}
	}
	return out
}

// AlertChanges compares two lists of open alerts: the ones opened and
// the IDs of the ones closed between them.
func AlertChanges(prev, next []Alert) (opened []Alert, closed []int64) {
	was := map[int64]bool{}
	for _, a := range prev {
		was[a.ID] = true
	}
	is := map[int64]bool{}
	for _, a := range next {
		is[a.ID] = true
		if !was[a.ID] {
			opened = append(opened, a)
		}
	}
	for _, a := range prev {
		if !is[a.ID] {
			closed = append(closed, a.ID)
		}
	}
	return opened, closed
}
