// Package vcard is a virtual smart card for tests: a TCP client of
// vsmartcard's vpcd that answers vpcd's control codes and passes command
// APDUs to a Go function. Test code only: vpcd must never be installed on
// a kiosk.
package vcard

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
)

// Port of vpcd's first reader ("Virtual PCD 00 00").
const Port0 = 35963

// Card is a virtual card inserted into a vpcd reader while it is connected.
type Card struct {
	ATR    []byte
	Handle func(apdu []byte) []byte

	conn net.Conn
	wg   sync.WaitGroup
}

// Insert connects to vpcd at addr (e.g. "127.0.0.1:35963"): vpcd sees the
// card as present for as long as the connection is open.
func Insert(addr string, atr []byte, handle func([]byte) []byte) (*Card, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Card{ATR: atr, Handle: handle, conn: conn}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *Card) serve() {
	defer c.wg.Done()
	for {
		var n uint16
		if err := binary.Read(c.conn, binary.BigEndian, &n); err != nil {
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(c.conn, msg); err != nil {
			return
		}
		var out []byte
		switch {
		case n == 1 && msg[0] == 4: // send ATR
			out = c.ATR
		case n == 1: // power off, power on, reset: no answer
			continue
		default:
			out = c.Handle(msg)
		}
		if err := c.send(out); err != nil {
			return
		}
	}
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
	c.wg.Wait()
}
