#!/bin/sh
# Records where it runs: its TMPDIR, the job file's folder and modes;
# leaves a temporary file of its own in $TMPDIR, as vendor programs do.
if [ "$ANJUNGAN_ACTION" = status ]; then echo "STATE: none" >&2; exit 0; fi
out=${DEVICE_URI#file://}
echo "TMPDIR $TMPDIR" > "$out"
stat -c 'mode %a %n' "$(dirname "$6")" "$6" >> "$out"
cp "$6" "$TMPDIR/vendor-copy.pdf"
echo "ATTR: pages=1" >&2
