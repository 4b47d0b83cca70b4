// Package health is the readiness report both services serve at /readyz:
// whether this kiosk can serve a citizen now, and if not, which check
// failed. /healthz only says the process answers.
package health

import (
	"context"
	"errors"
	"time"

	"github.com/anjungan/anjungan/internal/fault"
)

// Check is one condition of readiness. Probe returns nil when it holds;
// an error that is a *fault.Error gives the report its code and message.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Result is the outcome of one check. Code and Message are safe to show:
// the cause of a failure goes to the log only (Report.Causes).
type Result struct {
	Name    string     `json:"name"`
	OK      bool       `json:"ok"`
	Code    fault.Code `json:"code,omitempty"`
	Message string     `json:"message,omitempty"`
}

// Report is the body of /readyz: HTTP 200 when Ready, 503 when not.
type Report struct {
	Ready bool `json:"ready"`
	// Failed names the checks that failed, in order.
	Failed []string `json:"failed,omitempty"`
	Checks []Result `json:"checks"`
	// Causes are the failures' internal causes, by check, for the log.
	Causes map[string]error `json:"-"`
}

// ErrCheckFailed stands for a failure that carries no code of its own.
var ErrCheckFailed = fault.New("check_failed", "Pemeriksaan gagal.", "The check failed.")

// Timeout bounds each probe: a check that hangs is a failed check.
const Timeout = 3 * time.Second

// Run runs every check, in order, each within Timeout.
func Run(ctx context.Context, checks []Check) Report {
	r := Report{Ready: true, Checks: []Result{}}
	for _, c := range checks {
		pctx, cancel := context.WithTimeout(ctx, Timeout)
		err := c.Probe(pctx)
		cancel()
		if err == nil {
			r.Checks = append(r.Checks, Result{Name: c.Name, OK: true})
			continue
		}
		var f *fault.Error
		if !errors.As(err, &f) {
			f = ErrCheckFailed
		}
		r.Ready = false
		r.Failed = append(r.Failed, c.Name)
		r.Checks = append(r.Checks, Result{Name: c.Name, Code: f.Code, Message: f.EN})
		if r.Causes == nil {
			r.Causes = map[string]error{}
		}
		r.Causes[c.Name] = err
	}
	return r
}
