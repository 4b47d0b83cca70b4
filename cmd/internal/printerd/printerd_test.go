package printerd_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	program "github.com/anjungan/anjungan/cmd/internal/printerd"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// syncBuffer collects the log, which several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustSocketDir returns a short directory: unix socket paths are limited
// to about 108 bytes, which t.TempDir can exceed.
func MustSocketDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "pd")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// MustRun parses args and runs printerd; it is closed at the end of the
// test.
func MustRun(tb testing.TB, stderr io.Writer, args ...string) *program.Main {
	tb.Helper()
	m := program.NewMain()
	m.Stderr = stderr
	if err := m.ParseFlags(args); err != nil {
		tb.Fatalf("ParseFlags: %v", err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatalf("Run: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// MustAuditKey writes a fresh audit key pair into dir as anjunganctl
// keys init does, and returns the signer key's path and the verifier key.
func MustAuditKey(tb testing.TB, dir string) (string, string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "anjungan.test/printerd/audit")
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "audit-printerd.key")
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, vkey
}

func MustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// MustPrint polls until the job is printed; it fails on any other final
// state or after a generous deadline (a hang, not a slowness check).
func MustPrint(tb testing.TB, c *client.Client, id printerd.JobID) printerd.Job {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		job, err := c.Job(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		switch {
		case job.State == printerd.JobPrinted:
			return job
		case job.State != printerd.JobQueued && job.State != printerd.JobDispatching:
			tb.Fatalf("job ended %+v, want printed", job)
		case time.Now().After(deadline):
			tb.Fatalf("job stuck at %+v", job)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pdfFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func TestPrintEndToEnd(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cardOut, paperOut := filepath.Join(tmp, "card"), filepath.Join(tmp, "paper")
	var log syncBuffer
	key, _ := MustAuditKey(t, tmp)
	m := MustRun(t, &log, "-audit-key", key,
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"),
		"-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=sim,uri="+cardOut+",media=om_card_54x86mm,blanks=10",
		"-printer", "name=paper-1,driver=sim,uri="+paperOut+",media=iso_a4_210x297mm",
	)
	c := client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	// A supervisor records the blanks first: a card job is claimed only
	// while the ledger has one left.
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		media      printerd.Media
		doc        string
		out        string
		wantSerial bool
	}{
		{"KTP-el on a card", printerd.MediaCard, "card.pdf", cardOut, true},
		{"Kartu Keluarga on A4", printerd.MediaA4, "a4.pdf", paperOut, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := MustRead(t, tt.doc)
			req := printerd.SubmitRequest{IdempotencyKey: "auth-1/" + tt.doc, Media: tt.media, Title: tt.name, Document: doc}
			job, err := c.Submit(ctx, req)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			job = MustPrint(t, c, job.ID)
			if (job.CardSerial != "") != tt.wantSerial {
				t.Errorf("card serial %q, want one: %v", job.CardSerial, tt.wantSerial)
			}
			out, err := os.ReadFile(filepath.Join(tt.out, string(job.ID)+".pdf"))
			if err != nil || !bytes.Equal(out, doc) {
				t.Fatalf("output = %d bytes, %v; want the submitted document", len(out), err)
			}

			again, err := c.Submit(ctx, req)
			if err != nil || again.ID != job.ID || again.State != printerd.JobPrinted {
				t.Errorf("resubmit = %+v, %v; want printed job %s", again, err, job.ID)
			}
			if files := pdfFiles(t, tt.out); len(files) != 1 {
				t.Errorf("output files = %v, want exactly one", files)
			}
		})
	}

	ps, err := c.Printers(ctx)
	if err != nil || len(ps) != 2 || ps[0].Name != "card-1" || ps[1].Name != "paper-1" {
		t.Errorf("Printers = %+v, %v", ps, err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(m.SocketPath()); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}

	logged := log.String()
	for _, want := range []string{`"state":"queued"`, `"state":"dispatching"`, `"state":"printed"`, `"printer":"card-1"`, `"card_serial":"SIM-000001"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	// Document content never reaches the log, raw or base64.
	for _, secret := range []string{"SIMULASI", base64.StdEncoding.EncodeToString(MustRead(t, "card.pdf")[:30])} {
		if strings.Contains(logged, secret) {
			t.Errorf("log holds document content %q", secret)
		}
	}
}

func TestJobsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	key, _ := MustAuditKey(t, tmp)
	args := []string{"-audit-key", key,
		"-socket", filepath.Join(MustSocketDir(t), "printerd.sock"),
		"-data", filepath.Join(tmp, "data"),
		"-printer", "name=card-1,driver=sim,uri=" + filepath.Join(tmp, "card") + ",media=om_card_54x86mm,blanks=0",
	}
	m := MustRun(t, io.Discard, args...)
	c := client.New(m.SocketPath())
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = MustRun(t, io.Discard, args...)
	c = client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	got, err := c.Job(ctx, job.ID)
	if err != nil || got.DocumentSHA256 != job.DocumentSHA256 {
		t.Errorf("after restart Job = %+v, %v", got, err)
	}
}

func TestSocket(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr bool
	}{
		{"fresh", func(*testing.T, string) {}, false},
		{"stale socket from a crash", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			_ = ln.Close()
		}, false},
		{"live socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					_ = conn.Close()
				}
			}()
		}, true},
		{"regular file in the way", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(MustSocketDir(t), "run")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "p.sock")
			tt.prepare(t, path)
			key, _ := MustAuditKey(t, tmp)
			m := program.NewMain()
			m.Stderr = io.Discard
			if err := m.ParseFlags([]string{"-audit-key", key, "-socket", path, "-data", filepath.Join(tmp, "data"),
				"-printer", "name=paper-1,driver=sim,uri=" + filepath.Join(tmp, "out") + ",media=iso_a4_210x297mm"}); err != nil {
				t.Fatal(err)
			}
			err := m.Run(context.Background())
			defer m.Close()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run error = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 {
				t.Errorf("socket = %v, %v; want a socket with mode 0660", fi.Mode(), err)
			}
			if err := client.New(path).Health(context.Background()); err != nil {
				t.Errorf("Health: %v", err)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{"defaults", nil, false},
		{"one printer", []string{"-printer", "name=p,driver=sim,uri=out,media=om_card_54x86mm,blanks=3"}, false},
		{"media from the device", []string{"-printer", "name=p,driver=sim,uri=out"}, false},
		{"no name", []string{"-printer", "driver=sim,uri=out"}, true},
		{"no driver", []string{"-printer", "name=p,uri=out"}, true},
		{"not key=value", []string{"-printer", "name=p,driver=sim,blanks"}, true},
		{"key twice", []string{"-printer", "name=p,name=q,driver=sim"}, true},
		{"unknown media", []string{"-printer", "name=p,driver=sim,media=roll"}, true},
		{"unknown flag", []string{"-port", "8080"}, true},
		{"extra argument", []string{"serve"}, true},
		{"audit every 0", []string{"-audit-every", "0"}, true},
		{"audit interval 0", []string{"-audit-interval", "0s"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := program.NewMain()
			m.Stderr = io.Discard
			if err := m.ParseFlags(tt.args); (err != nil) != tt.wantErr {
				t.Errorf("ParseFlags(%q) = %v, want error: %v", tt.args, err, tt.wantErr)
			}
		})
	}
	if got := program.NewMain().SocketPath(); got != program.DefaultSocket {
		t.Errorf("default socket %q, want %q", got, program.DefaultSocket)
	}
}

func TestRunFailsCleanly(t *testing.T) {
	tmp := t.TempDir()
	key, _ := MustAuditKey(t, tmp)
	card := "name=p,driver=sim,uri=" + filepath.Join(tmp, "out") + ",media=om_card_54x86mm"
	if err := os.WriteFile(filepath.Join(tmp, "not-a-key"), []byte("PRIVATE+KEY+x+00000000+AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		printer  string
		auditKey string
		wantLog  string
	}{
		{"unknown driver", "name=p,driver=laser,uri=out", key, ""},
		{"driver rejects options", card + ",blanks=-1", key, ""},
		{"no audit key", card, filepath.Join(tmp, "missing.key"), "anjunganctl keys init"},
		{"audit key malformed", card, filepath.Join(tmp, "not-a-key"), "audit signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(MustSocketDir(t), "p.sock")
			m := program.NewMain()
			m.Stderr = io.Discard
			if err := m.ParseFlags([]string{"-audit-key", tt.auditKey, "-socket", sock, "-data", filepath.Join(t.TempDir(), "data"), "-printer", tt.printer}); err != nil {
				t.Fatal(err)
			}
			err := m.Run(context.Background())
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantLog) {
				t.Errorf("Run = %v, want a message naming %q", err, tt.wantLog)
			}
			if err := m.Close(); err != nil {
				t.Errorf("Close after a failed Run: %v", err)
			}
			if _, err := os.Stat(sock); !os.IsNotExist(err) {
				t.Errorf("failed Run left a socket: %v", err)
			}
		})
	}
}
