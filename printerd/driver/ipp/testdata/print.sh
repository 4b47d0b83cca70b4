#!/bin/sh
# ippeveprinter's -c command: takes the document; when the file named by
# IPP_FAULT exists, it reports its content (a printer-state-reason) and
# fails the job, as a jammed printer does.
if [ -n "$IPP_FAULT" ] && [ -s "$IPP_FAULT" ]; then
	echo "STATE: +$(cat "$IPP_FAULT")" >&2
	exit 1
fi
exit 0
