#!/bin/sh
# Answers correctly but leaves a helper running that holds stdout; the
# station takes the answer after the grace period and kills the helper.
echo '{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
sleep 300 &
echo $! > "$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE"
exit 0
