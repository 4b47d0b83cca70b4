// Package fanout sends changes to followers that may fall behind (a page
// on a slow connection), so that what a follower reads last is always the
// newest change.
package fanout

// SendNewest puts v on ch without blocking: when ch is full it drops the
// oldest value to make room, so a follower that falls behind loses old
// changes, never the newest. ch must be buffered, and its senders must
// hold one lock while they send.
func SendNewest[T any](ch chan T, v T) {
	select {
	case ch <- v:
		return
	default:
	}
	select {
	case <-ch:
	default: // the follower took one meanwhile
	}
	ch <- v
}
