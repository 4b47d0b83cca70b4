#!/bin/sh
# Hangs and ignores SIGTERM, with a helper in its process group; the
# helper's pid goes to $PIDFILE so the test can check it was killed.
trap '' TERM
sleep 300 &
echo $! > "$PIDFILE.tmp" && mv "$PIDFILE.tmp" "$PIDFILE"
wait
