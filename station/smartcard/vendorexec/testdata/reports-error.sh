#!/bin/sh
# Reports the error code in $VENDOR_ERROR, as a program does for any
# failure it recognises.
printf '{"error": "%s", "message": "reported by test"}\n' "$VENDOR_ERROR"
exit 3
