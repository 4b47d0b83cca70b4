#!/bin/sh
[ "$ANJUNGAN_ACTION" = status ] && exit 0
echo "STATE: +media-low-warning" >&2; echo "STATE: +media-jam-error" >&2; echo "ATTR: card-disposition=stuck card-serial=V-1" >&2; exit 4
