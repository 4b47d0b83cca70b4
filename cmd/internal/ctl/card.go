package ctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"

	"github.com/anjungan/anjungan/station"
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
		cardPort, samPort := vcard.Port0+*reader, vcard.Port0+1-*reader
		sam, err := vcard.InsertApplet(fmt.Sprintf("%s:%d", *host, samPort), ektp.VirtualSAMATR, ektp.NewVirtualSAM(master))
		if err != nil {
			return fmt.Errorf("SAM into vpcd (is pcscd with vsmartcard-vpcd running?): %w", err)
		}
		defer sam.Remove()
		c, err := vcard.InsertApplet(fmt.Sprintf("%s:%d", *host, cardPort), ektp.VirtualCardATR, card)
		if err != nil {
			return fmt.Errorf("card into vpcd: %w", err)
		}
		defer c.Remove()
		fmt.Fprintf(m.Stdout, "e-KTP %s (serial %s) in vpcd slot %d, SAM in slot %d; Ctrl-C removes it\n",
			nik, hex.EncodeToString(serial), *reader, 1-*reader)
		<-ctx.Done()
		return nil
	}, nil
}
