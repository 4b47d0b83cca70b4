// Package vcard is a virtual smart card for tests: a TCP client of
// vsmartcard's vpcd that answers vpcd's control codes and passes command
// APDUs to a Go function. Test code only: vpcd must never be installed on
// a kiosk.
package vcard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Port of vpcd's first reader ("Virtual PCD 00 00").
const Port0 = 35963

// Port of vpcd's second reader ("Virtual PCD 00 01").
const Port1 = Port0 + 1

// Reader is the name pcscd gives vpcd's reader on Port0+slot.
func Reader(slot int) string { return fmt.Sprintf("Virtual PCD 00 %02d", slot) }

// Applet is the card's logic. Handle answers a command APDU; a nil answer
// pulls the card out of the reader at that command (tests of removal at
// any moment). Reset is called at power off, power on and reset.
type Applet interface {
	Handle(apdu []byte) []byte
	Reset()
}

// Remover is an Applet that is told when its card is pulled, so a Handle
// that blocks (a card that never answers) returns and Remove does not
// wait for it forever.
type Remover interface {
	Removed()
}

// Func is an Applet without state to reset.
type Func func(apdu []byte) []byte

// Handle calls f.
func (f Func) Handle(apdu []byte) []byte { return f(apdu) }

// Reset does nothing.
func (Func) Reset() {}

// Card is a virtual card inserted into a vpcd reader while it is connected.
type Card struct {
	ATR    []byte
	Applet Applet

	conn net.Conn
	wg   sync.WaitGroup
}

// Insert connects to vpcd at addr (e.g. "127.0.0.1:35963"): vpcd sees the
// card as present for as long as the connection is open.
func Insert(addr string, atr []byte, handle func([]byte) []byte) (*Card, error) {
	return InsertApplet(addr, atr, Func(handle))
}

// InsertApplet is Insert with an Applet.
func InsertApplet(addr string, atr []byte, a Applet) (*Card, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Card{ATR: atr, Applet: a, conn: conn}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *Card) serve() {
	defer c.wg.Done()
	for c.step() == nil {
	}
}

// step answers one message from vpcd.
func (c *Card) step() error {
	var n uint16
	if err := binary.Read(c.conn, binary.BigEndian, &n); err != nil {
		return err
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c.conn, msg); err != nil {
		return err
	}
	var out []byte
	switch {
	case n == 1 && msg[0] == 4: // send ATR
		out = c.ATR
	case n == 1: // power off, power on, reset: no answer
		c.Applet.Reset()
		return nil
	default:
		if out = c.Applet.Handle(msg); out == nil {
			c.conn.Close() // pulled mid-command
			return net.ErrClosed
		}
	}
	return c.send(out)
}

func (c *Card) send(b []byte) error {
	if len(b) > 0xffff {
		return errors.New("vcard: response too long")
	}
	buf := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(buf, uint16(len(b)))
	copy(buf[2:], b)
	_, err := c.conn.Write(buf)
	return err
}

// Remove pulls the card from the reader.
func (c *Card) Remove() {
	c.conn.Close()
	if r, ok := c.Applet.(Remover); ok {
		r.Removed()
	}
	c.wg.Wait()
}
