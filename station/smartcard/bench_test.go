package smartcard_test

import (
	"context"
	"testing"
	"time"

	"github.com/anjungan/anjungan/station/smartcard"
	"github.com/anjungan/anjungan/station/smartcard/ektp"
)

// timed wraps a profile and its channels: it measures the whole read and
// the time spent waiting for APDU answers (pcscd, vpcd, the virtual chip);
// the difference is the station's own work.
type timed struct {
	p            ektp.Profile
	total, wire  time.Duration
	apdus, reads int
}

type timedChannel struct {
	ch ektp.Channel
	t  *timed
}

func (c timedChannel) Transmit(apdu []byte) ([]byte, error) {
	start := time.Now()
	rsp, err := c.ch.Transmit(apdu)
	c.t.wire += time.Since(start)
	c.t.apdus++
	return rsp, err
}

func (t *timed) Read(ctx context.Context, card, sam ektp.Channel) (ektp.Identity, error) {
	start := time.Now()
	id, err := t.p.Read(ctx, timedChannel{card, t}, timedChannel{sam, t})
	t.total += time.Since(start)
	t.reads++
	return id, err
}

// BenchmarkReadThroughVPCD reads a virtual e-KTP through the real pcscd
// and vpcd: insert, wait for the loop's read, remove. It reports the read
// time (profile.Read, after connect) and the station's overhead on top of
// the APDU round trips.
func BenchmarkReadThroughVPCD(b *testing.B) {
	mustPCSC(b)
	tp := &timed{p: emulation()}
	l, events := mustLoop(b, smartcard.Config{Profile: tp})
	mustInsertSAM(b, reader1, ektp.NewVirtualSAM(masterKey))
	var tapToNIK time.Duration
	for b.Loop() {
		start := time.Now()
		c := mustInsert(b, reader0, ektp.VirtualCardATR, mustCard(b, nikA, 1))
		if _, err := l.ReadNIK(context.Background()); err != nil {
			b.Fatal(err)
		}
		tapToNIK += time.Since(start)
		c.Remove()
		waitEvent(b, events, smartcard.EventRemoved)
	}
	n := float64(tp.reads)
	b.ReportMetric(float64(tapToNIK.Milliseconds())/n, "ms-tap-to-nik")
	b.ReportMetric(float64(tp.total.Microseconds())/n/1000, "ms-read")
	b.ReportMetric(float64((tp.total-tp.wire).Microseconds())/n/1000, "ms-station-overhead")
	b.ReportMetric(float64(tp.apdus)/n, "apdus/read")
}
