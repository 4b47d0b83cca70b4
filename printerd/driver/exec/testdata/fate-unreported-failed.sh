#!/bin/sh
# A program that picked a card and exits 1 (failed) without saying what
# became of the card.
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "INFO: picked card" >&2; echo "ERROR: printhead error" >&2; exit 1
