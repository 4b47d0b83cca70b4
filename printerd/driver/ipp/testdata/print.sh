#!/bin/sh
# ippeveprinter's -c command for the tests' rig. It copies each document
# to $IPP_OUT (what the printer "printed") unless the file named by
# $IPP_FAULT holds a fault, one line "ACTION [REASON]":
#   set REASON          put REASON on the printer (-error), print nothing
#   clear               take every reason the rig sets off the printer
#   fail REASON         abort the job with REASON, nothing printed
#   printed-fail REASON print, then abort with REASON (the page came out)
#   kill                the printer dies mid-job (SIGKILL to ippeveprinter)
#   printed-kill        the printer dies after printing
# A fault fires once: the file is removed when it is read.
out="${IPP_OUT:-/dev/null}"
action=""
reason=""
if [ -n "$IPP_FAULT" ] && [ -s "$IPP_FAULT" ]; then
	read -r action reason < "$IPP_FAULT"
	rm -f "$IPP_FAULT"
fi
case "$action" in
set)
	echo "STATE: +$reason-error" >&2
	exit 0 ;;
clear)
	echo "STATE: -media-jam-error,cover-open-error,marker-supply-empty-error,media-empty-error,media-needed-error" >&2
	exit 0 ;;
fail)
	echo "STATE: +$reason-error" >&2
	exit 1 ;;
printed-fail)
	cp "$1" "$out/"
	echo "ATTR: job-impressions-completed=1" >&2
	echo "STATE: +$reason-error" >&2
	exit 1 ;;
kill)
	kill -KILL "$PPID"
	exit 1 ;;
printed-kill)
	cp "$1" "$out/"
	kill -KILL "$PPID"
	exit 1 ;;
esac
cp "$1" "$out/"
exit 0
