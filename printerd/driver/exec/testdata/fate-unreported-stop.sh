#!/bin/sh
# A program that stops the printer after a pick without saying what
# became of the card.
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "STATE: +offline-error" >&2; exit 4
