package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPINLift: a lift names the NIK in the form only, is audited under
// the NIK's keyed hash with the reason code, and a refused form keeps
// what was typed and marks the wrong field.
func TestPINLift(t *testing.T) {
	r := MustConsole(t)
	siti := r.MustLogin("siti")
	post := func(form url.Values) (*http.Response, string) {
		form.Set(csrfField, siti.csrf)
		res := r.do(request{method: "POST", path: "/pins/lift?lang=en", header: sameOrigin, cookies: siti.cookies(), form: form})
		return res, body(t, res)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
		lifted int
	}{
		{"no reason", url.Values{"nik": {testNIK}}, 400,
			[]string{`<label class="wrong">Reason`, `value="` + testNIK + `"`, "Choose a reason for lifting the PIN lockout."}, 0},
		{"a reason not on the list", url.Values{"nik": {testNIK}, "reason": {"Budi lupa"}}, 400,
			[]string{`<label class="wrong">Reason`, `value="` + testNIK + `"`}, 0},
		{"a short NIK", url.Values{"nik": {"31710141"}, "reason": {"identity-checked"}}, 400,
			[]string{`<label class="wrong">NIK`, `value="31710141"`, `<option value="identity-checked" selected>`}, 0},
		{"lifted", url.Values{"nik": {testNIK}, "reason": {"identity-checked"}}, 200,
			[]string{`id="pin-lifted"`, "PIN lockout lifted."}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.pins.lifted)
			res, page := post(tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %s\n%s", w, page)
				}
			}
			if got := len(r.pins.lifted) - before; got != tt.lifted {
				t.Errorf("%d lifts, want %d", got, tt.lifted)
			}
			e := r.audit.last()
			if e.Kind != "console.pin_lift" || e.Actor != "siti" {
				t.Fatalf("audit %+v", e)
			}
			for _, v := range append([]string{e.Subject}, fieldText(e.Fields)) {
				if strings.Contains(v, testNIK) || strings.Contains(v, testNIK[4:]) {
					t.Errorf("the audit entry holds the NIK: %+v", e)
				}
			}
		})
	}
	if e := r.audit.last(); e.Subject != r.audit.SubjectOf(mustNIK(t, testNIK)) || e.Fields["reason"] != "identity-checked" || e.Fields["outcome"] != "ok" {
		t.Errorf("the lift's entry: %+v", e)
	}
}
