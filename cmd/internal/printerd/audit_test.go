package printerd_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/anjungan/anjungan/internal/audit"
	"github.com/anjungan/anjungan/printerd"
	"github.com/anjungan/anjungan/printerd/client"
)

// TestAuditOverAPI prints a card, stops printerd (which signs a last
// checkpoint), starts it again and collects the log as a collector
// would: the checkpoint, then the entries with their proofs. The copy in
// checkpoints/ and the database verify with the public key alone.
func TestAuditOverAPI(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	key, vkey := MustAuditKey(t, tmp)
	data := filepath.Join(tmp, "data")
	args := []string{"-audit-key", key, "-socket", filepath.Join(MustSocketDir(t), "printerd.sock"), "-data", data,
		"-printer", "name=card-1,driver=sim,uri=" + filepath.Join(tmp, "card") + ",media=om_card_54x86mm,blanks=10"}

	m := MustRun(t, io.Discard, args...)
	c := client.New(m.SocketPath())
	if _, err := c.Checkpoint(ctx); !errors.Is(err, printerd.ErrNoCheckpoint) {
		t.Errorf("Checkpoint before any = %v, want audit_checkpoint_missing", err)
	}
	if _, err := c.LoadCards(ctx, printerd.Load{Printer: "card-1", Count: 10, Actor: "sari"}); err != nil {
		t.Fatal(err)
	}
	job, err := c.Submit(ctx, printerd.SubmitRequest{IdempotencyKey: "k", Media: printerd.MediaCard, Title: "KTP-el", Document: MustRead(t, "card.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	MustPrint(t, c, job.ID)
	if err := c.ResumePrinter(ctx, "card-1", "sari"); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = MustRun(t, io.Discard, args...)
	c = client.New(m.SocketPath())
	defer c.CloseIdleConnections()
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint(signed, vkey)
	if err != nil {
		t.Fatal(err)
	}
	// cards.loaded, job.submitted, job.dispatched, job.printed, printer.resumed
	if cp.Size != 5 {
		t.Errorf("checkpoint size %d, want 5", cp.Size)
	}
	file, err := os.ReadFile(filepath.Join(data, "checkpoints", strconv.FormatInt(cp.Size, 10)+".note"))
	if err != nil || !bytes.Equal(file, signed) {
		t.Errorf("checkpoint file = %q, %v; want the served checkpoint", file, err)
	}

	var buf bytes.Buffer
	if err := c.AuditEntries(ctx, 1, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	sc.Scan()
	var head struct{ Checkpoint string }
	if err := json.Unmarshal(sc.Bytes(), &head); err != nil || head.Checkpoint != string(signed) {
		t.Fatalf("first line = %s, %v; want the checkpoint", sc.Bytes(), err)
	}
	var got []string
	for sc.Scan() {
		var x audit.Exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		if err := audit.CheckExported(cp, x); err != nil {
			t.Error(err)
		}
		got = append(got, x.Entry.Kind)
	}
	want := []string{"job.submitted", "job.dispatched", "job.printed", "printer.resumed"}
	if len(got) != len(want) {
		t.Errorf("entries from 1 = %v, want %v", got, want)
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("entry %d = %s, want %s", i+1, got[i], want[i])
		}
	}
	for _, bad := range []struct {
		from   int64
		format string
	}{{-1, "jsonl"}, {0, "xml"}} {
		if err := c.AuditEntries(ctx, bad.from, bad.format, io.Discard); !errors.Is(err, printerd.ErrInvalidRequest) {
			t.Errorf("AuditEntries(%d, %q) = %v, want request_invalid", bad.from, bad.format, err)
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "journal.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if rep, err := audit.Verify(ctx, db, vkey, signed); err != nil || rep.Entries != 5 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}
