#!/bin/sh
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "STATE: +media-empty-error" >&2; echo "ATTR: card-disposition=none" >&2; exit 3
