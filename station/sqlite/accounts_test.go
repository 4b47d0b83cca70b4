package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/account"
	"github.com/anjungan/anjungan/station/sqlite"
)

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	s := sqlite.NewAccounts(db)
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	siti := account.Account{Name: "siti", Role: account.Supervisor, Hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$a2V5", Created: t0}
	if err := s.AddAccount(ctx, siti); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAccount(ctx, siti); !errors.Is(err, account.ErrExists) {
		t.Errorf("second AddAccount = %v, want account_exists", err)
	}
	for name, a := range map[string]account.Account{
		"bad name": {Name: "Siti Aminah", Role: account.Supervisor, Hash: siti.Hash},
		"bad role": {Name: "budi", Role: "root", Hash: siti.Hash},
		"no hash":  {Name: "budi", Role: account.Auditor},
	} {
		if err := s.AddAccount(ctx, a); !errors.Is(err, account.ErrInvalid) {
			t.Errorf("%s: AddAccount = %v, want account_invalid", name, err)
		}
	}
	got, err := s.Account(ctx, "siti")
	if err != nil || got.Role != account.Supervisor || got.Hash != siti.Hash || !got.Created.Equal(t0) {
		t.Errorf("Account = %+v, %v", got, err)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("Account(nobody) = %v", err)
	}

	ss := account.Session{IDHash: account.HashSessionID("id-1"), Account: "siti", Role: account.Supervisor, CSRF: "tok", Created: t0, LastSeen: t0}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, ss.IDHash, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, ss.IDHash, t0.Add(time.Minute)); err != nil { // older: ignored
		t.Fatal(err)
	}
	got2, err := s.Session(ctx, ss.IDHash)
	if err != nil || got2.Account != "siti" || got2.CSRF != "tok" || !got2.LastSeen.Equal(t0.Add(5*time.Minute)) || !got2.Created.Equal(t0) {
		t.Errorf("Session = %+v, %v", got2, err)
	}
	// A session survives a restart of the station.
	db.Close()
	db2, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	s = sqlite.NewAccounts(db2)
	if _, err := s.Session(ctx, ss.IDHash); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if err := s.DeleteExpired(ctx, t0.Add(5*time.Minute+account.IdleTimeout)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, ss.IDHash); !errors.Is(err, account.ErrNoSession) {
		t.Errorf("expired session still there: %v", err)
	}
	ss.IDHash = account.HashSessionID("id-2")
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, ss.IDHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, ss.IDHash); !errors.Is(err, account.ErrNoSession) {
		t.Errorf("deleted session still there: %v", err)
	}
	if err := s.CreateSession(ctx, account.Session{IDHash: "x", Account: "nobody", Role: account.Auditor, Created: t0, LastSeen: t0}); err == nil {
		t.Error("a session of an unknown account was stored")
	}
}
