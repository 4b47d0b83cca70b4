package fanout_test

import (
	"testing"

	"github.com/anjungan/anjungan/internal/fanout"
)

func TestSendNewest(t *testing.T) {
	ch := make(chan int, 3)
	for i := 1; i <= 10; i++ {
		fanout.SendNewest(ch, i)
	}
	var got []int
	for len(ch) > 0 {
		got = append(got, <-ch)
	}
	if len(got) != 3 || got[0] != 8 || got[1] != 9 || got[2] != 10 {
		t.Errorf("a follower behind reads %v, want the newest three in order [8 9 10]", got)
	}
}
