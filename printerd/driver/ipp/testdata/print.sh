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
#   hang                the job hangs, nothing printed, while $IPP_HOLD exists
#   printed-hang        print, then hang while $IPP_HOLD exists
# A fault fires once: the file is removed when it is read.
#
# A hung job keeps ippeveprinter processing (it answers server-error-busy
# to other jobs, and Cancel-Job only marks the job processing-to-stop-point:
# it does not stop the command). The rig ends the hang by removing
# $IPP_HOLD; a job never hangs longer than about two minutes, so a lost
# rig leaves no script behind for long. Short sleeps in a loop rather than
# one long one: a killed script leaves no sleep holding ippeveprinter's pipe.
out="${IPP_OUT:-/dev/null}"
action=""
reason=""
if [ -n "$IPP_FAULT" ] && [ -s "$IPP_FAULT" ]; then
	read -r action reason < "$IPP_FAULT"
	rm -f "$IPP_FAULT"
fi
hold() {
	n=0
	while [ -n "$IPP_HOLD" ] && [ -e "$IPP_HOLD" ] && [ $n -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
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
hang)
	hold
	exit 1 ;;
printed-hang)
	cp "$1" "$out/"
	echo "ATTR: job-impressions-completed=1" >&2
	hold
	exit 1 ;;
esac
cp "$1" "$out/"
exit 0
