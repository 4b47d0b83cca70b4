#!/bin/sh
# Records its arguments and environment, reports supplies.
if [ "$ANJUNGAN_ACTION" = status ]; then echo "STATE: none" >&2; exit 0; fi
printf "%s|%s|%s|%s|%s|%s|%s|%s\n" "$1" "$2" "$3" "$4" "$5" "$(head -c 4 "$6")" "$PRINTER" "$CONTENT_TYPE" > "${DEVICE_URI#file://}"
echo "STATE: +toner-low-warning" >&2
echo "ATTR: marker-names=\"Black toner\",\"Waste\\, toner\" marker-levels=40,90 marker-types=toner,wasteToner vendor-code=W-17" >&2
echo "INFO: printed" >&2
echo "ATTR: pages=2" >&2
