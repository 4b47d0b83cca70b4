package ctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
	"github.com/anjungan/anjungan/station/smartcard/vcard"
	"github.com/anjungan/anjungan/station/ticket"
)

// parseCardInsert is `card insert`: a virtual e-KTP of the emulation
// profile in one vpcd slot and its SAM in the other, until Ctrl-C. The
// identity record is signed with the simulated registry's key, so a
// station pinning var/keys/ticket.pub accepts it. Needs pcscd with
// vsmartcard-vpcd (test machines only; never on a kiosk).
func parseCardInsert(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	nikFlag := fs.String("nik", "", "NIK of the card holder (16 digits)")
	reader := fs.Int("reader", 0, "vpcd slot of the card (0 or 1); the SAM goes in the other")
	key := fs.String("key", "var/keys/ticket.key", "the registry's signing key")
	host := fs.String("vpcd", "127.0.0.1", "host where vpcd listens")
	issuer := fs.String("issuer", "registry-sim", "issuer written in the identity record")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	nik, err := station.ParseNIK(*nikFlag)
	if err != nil {
		return nil, fmt.Errorf("--nik: %w", err)
	}
	if *reader != 0 && *reader != 1 {
		return nil, errors.New("--reader must be 0 or 1")
	}
	return func(ctx context.Context) error {
		priv, err := ticket.LoadPrivateKey(*key)
		if err != nil {
			return err
		}
		// A fresh scheme per run: card and SAM share it, the station
		// never sees it.
		master, serial := make([]byte, 32), make([]byte, ektp.SerialLen)
		if _, err := rand.Read(master); err != nil {
			return err
		}
		if _, err := rand.Read(serial); err != nil {
			return err
		}
		card, err := ektp.NewVirtualCard(ektp.CardSpec{
			NIK: nik, Serial: serial, MasterKey: master, Registry: priv,
			Issuer: *issuer, IssuedAt: m.Now(), Rand: rand.Reader,
		})
		if err != nil {
			return err
		}
		cardSlot, samSlot := *reader, 1-*reader
		// pcscd polls vpcd: a card tapped before pcscd has seen the SAM
		// finds the station without one (card_sam_unavailable, 3 taps of
		// 7). So each goes in only once pcscd sees the one before, and
		// the command says so only then. With vpcd on another host its
		// pcscd is there too, out of this machine's sight.
		local := *host == "127.0.0.1" || *host == "localhost" || *host == "::1"
		sam, err := vcard.InsertApplet(fmt.Sprintf("%s:%d", *host, vcard.Port0+samSlot), ektp.VirtualSAMATR, ektp.NewVirtualSAM(master))
		if err != nil {
			return fmt.Errorf("SAM into vpcd (is pcscd with vsmartcard-vpcd running?): %w", err)
		}
		defer removeCard(m, sam, vcard.Reader(samSlot), local)
		if local {
			if err := waitSeen(ctx, vcard.Reader(samSlot)); err != nil {
				return fmt.Errorf("the SAM: %w", err)
			}
		}
		c, err := vcard.InsertApplet(fmt.Sprintf("%s:%d", *host, vcard.Port0+cardSlot), ektp.VirtualCardATR, card)
		if err != nil {
			return fmt.Errorf("card into vpcd: %w", err)
		}
		defer removeCard(m, c, vcard.Reader(cardSlot), local)
		if local {
			if err := waitSeen(ctx, vcard.Reader(cardSlot)); err != nil {
				return fmt.Errorf("the e-KTP: %w", err)
			}
		}
		fmt.Fprintf(m.Stdout, "e-KTP %s (serial %s) in vpcd slot %d, SAM in slot %d; Ctrl-C removes it\n",
			nik, hex.EncodeToString(serial), cardSlot, samSlot)
		<-ctx.Done()
		return nil
	}, nil
}

// cardWait bounds how long pcscd may take to see a card come or go; its
// poller takes about a second.
const cardWait = 30 * time.Second

// waitSeen waits until pcscd sees a card in reader, without connecting to
// it (the station's loop may be connecting at the same moment).
func waitSeen(ctx context.Context, reader string) error {
	ctx, cancel := context.WithTimeout(ctx, cardWait)
	defer cancel()
	if err := smartcard.WaitPresent(ctx, reader); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("pcscd does not see it in %q after %s (is pcscd running with vsmartcard-vpcd?)", reader, cardWait)
		}
		return err
	}
	return nil
}

// removeCard takes c out and, with pcscd on this machine, waits until it
// sees reader empty: vpcd loses a card put in before pcscd's poller saw
// the one before leave, so the next insert would not be seen.
func removeCard(m *Main, c *vcard.Card, reader string, local bool) {
	c.Remove()
	if !local {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cardWait)
	defer cancel()
	if err := smartcard.WaitEmpty(ctx, reader); err != nil {
		fmt.Fprintf(m.Stderr, "%s: pcscd still sees a card: %v\n", reader, err)
	}
}
