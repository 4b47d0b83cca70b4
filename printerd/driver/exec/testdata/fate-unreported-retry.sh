#!/bin/sh
# A program that picked a card, lost it and exits 6 (retry) without
# saying what became of the card: its fate is unknown. With DEVICE_URI
# file:///path it appends a line to that file per run.
[ "$ANJUNGAN_ACTION" = status ] && exit 0
[ -n "$DEVICE_URI" ] && echo "run $1" >>"${DEVICE_URI#file://}"
echo "INFO: picked card" >&2; echo "STATE: +timed-out-report" >&2; exit 6
