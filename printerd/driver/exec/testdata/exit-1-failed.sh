#!/bin/sh
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "ATTR: card-disposition=none" >&2; exit 1
