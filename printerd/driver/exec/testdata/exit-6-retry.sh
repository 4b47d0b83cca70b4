#!/bin/sh
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "STATE: +offline-report" >&2; echo "ATTR: uncertain=true" >&2; exit 6
