package ctl

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"time"

	"github.com/anjungan/anjungan/internal/pgtest"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// devKiosk is one simulated kiosk of `anjunganctl dev -fleet`.
type devKiosk struct {
	id, name, regency, province string
	socket, kioskURL            string
}

// devFleetKiosks are three kiosks of three regencies in three provinces.
func devFleetKiosks() []*devKiosk {
	return []*devKiosk{
		{id: "bdg-mpp-01", name: "MPP Kota Bandung 1", regency: "3273", province: "32"},
		{id: "sby-mpp-01", name: "MPP Kota Surabaya 1", regency: "3578", province: "35"},
		{id: "mks-mpp-01", name: "MPP Kota Makassar 1", regency: "7371", province: "73"},
	}
}

// devFleet is `make run-fleet`: a private PostgreSQL cluster under
// VAR/fleet/pg, the fleet CA and hub, one registry-sim and three kiosks
// (printerd and station each, enrolled in the fleet), and a driver that
// has citizens print at a kiosk every `every` and jams a card printer now
// and then. Everything stops when ctx ends or a program exits.
func (m *Main) devFleet(ctx context.Context, varDir, bin string, every time.Duration) error {
	if err := m.keysInit(varDir); err != nil {
		return err
	}
	v := func(p ...string) string { return filepath.Join(append([]string{varDir}, p...)...) }
	f := func(p ...string) string { return v(append([]string{"fleet"}, p...)...) }
	// Run as root, PostgreSQL runs as the postgres user, which must be
	// able to pass through VAR/fleet to its folder (the keys in it stay 0600).
	if err := os.MkdirAll(f(), 0o755); err != nil {
		return err
	}
	pg, err := pgtest.Open(f("pg"))
	if err != nil {
		return fmt.Errorf("PostgreSQL under %s: %w", f("pg"), err)
	}
	defer func() {
		if err := pg.Shutdown(); err != nil {
			fmt.Fprintln(m.Stderr, err)
		}
	}()
	dsn, err := pg.EnsureDB(ctx, "fleet")
	if err != nil {
		return err
	}
	if _, err := os.Stat(f("fleet-ca.crt")); errors.Is(err, os.ErrNotExist) {
		if err := m.sub(ctx, "fleet", "ca-init", "-dir", f()); err != nil {
			return err
		}
	}
	kiosks := devFleetKiosks()
	for _, k := range kiosks {
		if _, err := os.Stat(f("kiosks", k.id+".crt")); err == nil {
			continue
		}
		if err := m.sub(ctx, "fleet", "enrol", "-kiosk", k.id, "-key-dir", f("kiosks")); err != nil {
			return err
		}
		if err := m.sub(ctx, "fleet", "sign", "-csr", f("kiosks", k.id+".csr"), "-dir", f(), "-hub-db", dsn,
			"-name", k.name, "-regency", k.regency, "-province", k.province); err != nil {
			return err
		}
	}

	ports, err := freePorts(3 + 2*len(kiosks))
	if err != nil {
		return err
	}
	hubAddr, regAddr, consoleAddr := ports[0], ports[1], ports[len(ports)-1]
	password, err := m.devConsoleUser(ctx, dsn, f(devConsolePasswordFile))
	if err != nil {
		return err
	}
	specs := []service{
		{"fleethub", "tcp", hubAddr, []string{"-db", dsn, "-listen", hubAddr, "-tls-cert", f("fleethub.crt"), "-tls-key", f("fleethub.key"),
			"-client-ca", f("fleet-ca.crt"), "-alert-every", "5s", "-offline-after", "2m", "-console-addr", consoleAddr}},
		{"registry-sim", "tcp", regAddr, []string{"-addr", regAddr, "-data", f("registry-sim"), "-ticket-key", v("keys", "ticket.key"), "-binding-key", v("keys", "binding.key"),
			"-document-key", v("keys", "upstream-document.key"), "-tls-cert", v("certs", "registry.crt"), "-tls-key", v("certs", "registry.key"), "-client-ca", v("certs", "ca.crt")}},
	}
	for i, k := range kiosks {
		d := func(p ...string) string { return f(append([]string{k.id}, p...)...) }
		k.socket = d("run", "printerd.sock")
		k.kioskURL = "http://" + ports[2+2*i]
		sender := []string{"-fleet-url", "https://" + hubAddr, "-fleet-cert", f("kiosks", k.id+".crt"), "-fleet-key", f("kiosks", k.id+".key"),
			"-fleet-ca", f("fleet-ca.crt"), "-fleet-backlog-every", "30s"}
		specs = append(specs,
			service{"printerd", "unix", k.socket, append([]string{"-socket", k.socket, "-data", d("printerd"), "-audit-key", v("keys", "audit-printerd.key"),
				"-printer", "name=card-1,driver=sim,uri=" + d("out", "card") + ",media=om_card_54x86mm,blanks=100",
				"-printer", "name=paper-1,driver=sim,uri=" + d("out", "paper") + ",media=iso_a4_210x297mm"}, sender...)},
			service{"station", "tcp", ports[2+2*i], append([]string{"-kiosk-addr", ports[2+2*i], "-console-addr", ports[3+2*i],
				"-printerd-socket", k.socket, "-ticket-pubkey", v("keys", "ticket.pub"),
				"-document-pubkey", v("keys", "upstream-document.pub"), "-binding-key", v("keys", "binding.key"), "-db", d("station", "station.db"),
				"-audit-key", v("keys", "audit-station.key"), "-audit-vkey", v("keys", "audit-station.vkey"), "-subject-key", v("keys", "subject.key"),
				"-registry-url", "https://" + regAddr, "-registry-ca", v("certs", "ca.crt"),
				"-registry-cert", v("certs", "station-client.crt"), "-registry-key", v("certs", "station-client.key")}, sender...)})
	}
	sup := newSupervisor(bin, m.Stderr)
	defer sup.stop()
	for _, s := range specs {
		if err := sup.start(ctx, s); err != nil {
			return err
		}
	}
	for _, k := range kiosks {
		if err := m.ensureBlanks(ctx, k.socket); err != nil {
			return sup.stopped(err)
		}
	}
	up := &upstream{url: "https://" + regAddr, ca: v("certs", "ca.crt"), cert: v("certs", "station-client.crt"), key: v("certs", "station-client.key")}
	hc, err := up.client()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Hub:      https://%s/ (mutual TLS: a kiosk's certificate from %s)\n", hubAddr, f("kiosks"))
	fmt.Fprintf(m.Stdout, "Database: %s\n", dsn)
	if password != "" {
		fmt.Fprintf(m.Stdout, "Console:  http://%s/ (user %s, password %s; kept in %s)\n", consoleAddr, devConsoleUser, password, f(devConsolePasswordFile))
	} else {
		fmt.Fprintf(m.Stdout, "Console:  http://%s/ (user %s, password in %s)\n", consoleAddr, devConsoleUser, f(devConsolePasswordFile))
	}
	for _, k := range kiosks {
		fmt.Fprintf(m.Stdout, "Kiosk %s (%s, regency %s): %s/\n", k.id, k.name, k.regency, k.kioskURL)
	}
	fmt.Fprintf(m.Stdout, "A citizen prints at one of them every %s; now and then a card printer jams.\nPress Ctrl-C to stop.\n", every)
	drive, stopDrive := context.WithCancel(ctx)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		m.driveFleet(drive, hc, up.url, kiosks, every)
	}()
	err = sup.wait(ctx)
	stopDrive()
	<-driven
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "\nstopping…")
	return nil
}

// The development console user, made on the first run.
const (
	devConsoleUser         = "supervisor"
	devConsolePasswordFile = "console-password"
)

// devConsoleUser makes the console user (scope all) when its password
// file does not exist yet: a random password, written 0600 to file and
// returned to be printed once. Later runs return "".
func (m *Main) devConsoleUser(ctx context.Context, dsn, file string) (string, error) {
	if _, err := os.Stat(file); err == nil {
		return "", nil
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	password := base64.RawURLEncoding.EncodeToString(b)
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := m.sub(ctx, "fleet", "user", "add", "-hub-db", dsn, "-scope", "all", "-password-file", file, devConsoleUser); err != nil {
		os.Remove(file)
		return "", fmt.Errorf("console user %s (its password file was lost? anjunganctl fleet user … on %s): %w", devConsoleUser, dsn, err)
	}
	return password, nil
}

// sub runs another anjunganctl command (the fleet's enrolment) quietly.
func (m *Main) sub(ctx context.Context, args ...string) error {
	s := NewMain()
	s.Stdout, s.Stderr, s.Now = io.Discard, m.Stderr, m.Now
	if err := s.ParseFlags(args); err != nil {
		return err
	}
	return s.Run(ctx)
}

func freePorts(n int) ([]string, error) {
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

// driveFleet has a citizen print at the kiosks in turn, one visit every
// `every`; every seventh visit first arms a paper jam during the print on
// that kiosk's card printer, and the next visit there clears it, as an
// officer would. Failures are shown and the loop goes on.
func (m *Main) driveFleet(ctx context.Context, hc *http.Client, registry string, kiosks []*devKiosk, every time.Duration) {
	sets := [][]string{{"ktp-el"}, {"kk"}, {"ktp-el", "kk"}, {"kia"}}
	jammed := map[string]bool{}
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k := kiosks[n%len(kiosks)]
		pc := client.New(k.socket)
		if jammed[k.id] {
			if err := pc.ClearFaults(ctx, "card-1"); err == nil {
				jammed[k.id] = false
				fmt.Fprintf(m.Stdout, "%s: card-1 cleared\n", k.id)
			}
		} else if n%7 == 6 {
			if err := pc.InjectFault(ctx, "card-1", printerd.Fault{Kind: "media-jam", At: printerd.FaultDuringPrint, Count: 1}); err == nil {
				jammed[k.id] = true
				fmt.Fprintf(m.Stdout, "%s: card-1 will jam at its next card\n", k.id)
			}
		}
		docs := sets[n%len(sets)]
		if jammed[k.id] {
			docs = []string{"ktp-el"} // a card, for the jam
		}
		if err := visit(ctx, hc, registry, k.kioskURL, docs); err != nil && ctx.Err() == nil {
			fmt.Fprintf(m.Stderr, "%s: a visit failed: %v\n", k.id, err)
		}
	}
}

// visit is one citizen at the kiosk at base: an approval of docs at the
// registry, a ticket login, a print of each document, and the logout
// once the prints have settled.
func visit(ctx context.Context, hc *http.Client, registry, base string, docs []string) error {
	as, err := CreateApprovals(ctx, hc, registry, [][]string{docs})
	if err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	type session struct {
		Documents []struct {
			RequestID string `json:"request_id"`
			Print     *struct {
				State string `json:"state"`
			} `json:"print"`
		} `json:"documents"`
	}
	call := func(method, path string, in, out any) error {
		b, _ := json.Marshal(in)
		req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
			return fmt.Errorf("%s %s: %s %s", method, path, res.Status, bytes.TrimSpace(body))
		}
		if out != nil {
			return json.NewDecoder(res.Body).Decode(out)
		}
		return nil
	}
	var s session
	if err := call("POST", "/api/login/ticket", map[string]string{"ticket": as[0].Ticket}, &s); err != nil {
		return err
	}
	defer func() { _ = call("POST", "/api/session/logout", struct{}{}, nil) }()
	for _, d := range s.Documents {
		if err := call("POST", "/api/print", map[string]string{"request_id": d.RequestID}, nil); err != nil {
			return err
		}
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if err := call("GET", "/api/session", nil, &s); err != nil {
			return err
		}
		busy := false
		for _, d := range s.Documents {
			if d.Print != nil && (d.Print.State == "preparing" || d.Print.State == "queued" || d.Print.State == "printing") {
				busy = true
			}
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("prints still in progress after a minute")
}
