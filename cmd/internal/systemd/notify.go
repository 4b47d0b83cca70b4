// Package systemd tells systemd how a service started under Type=notify
// is doing (sd_notify(3)), so that "started" means "listening": units
// ordered after it start only then.
package systemd

import (
	"net"
)

// NotifySocket is the environment variable systemd names its socket in.
const NotifySocket = "NOTIFY_SOCKET"

// States a service reports.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
)

// Notify sends state to socket, the value of $NOTIFY_SOCKET; with no
// socket (not run by systemd, or not Type=notify) it does nothing. A
// name starting with '@' is in the abstract namespace.
func Notify(socket, state string) error {
	if socket == "" {
		return nil
	}
	if socket[0] == '@' {
		socket = "\x00" + socket[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}
