#!/bin/sh
# A card printer simulator speaking printerd's exec protocol (the CUPS
# backend line protocol): state in the directory named by DEVICE_URI
# (file:///dir), faults read from $ANJUNGAN_FAULT_FILE, lines
# "KIND AT COUNT" or "clear". Set SIMCARD_PICK_TIME (seconds) to slow the
# pick down. With SIMCARD_UNREPORTED_FATE=1 it says nothing of a card
# whose fate it does not know (no card-disposition, no uncertain), as a
# terse vendor program would. Usage: simcard.sh JOB USER TITLE COPIES OPTIONS FILE.
dir=${DEVICE_URI#file://}
[ -d "$dir" ] || { echo "ERROR: no state directory '$dir'" >&2; exit 1; }
max=$(cat "$dir/max" 2>/dev/null || echo 50)
blanks=$(cat "$dir/blanks" 2>/dev/null || echo "$max")
serial=$(cat "$dir/serial" 2>/dev/null || echo 0)
cond=$(cat "$dir/condition" 2>/dev/null)

supplies() {
	echo "ATTR: marker-names='blank cards' marker-types=other marker-levels=$blanks marker-high-levels=$max vendor-code=${1:-OK}" >&2
}

# effect KIND AT sets reason, exit code, card disposition, uncertainty
# and whether the condition lasts, after printerd's fault table.
effect() {
	last=1 unc=false disp=none
	case "$1@$2" in
	feeder-empty@before-print) r=media-empty code=3 ;;
	media-jam@before-print) r=media-jam code=4 ;;
	media-jam@during-print) r=media-jam code=4 disp=stuck ;;
	media-jam@after-print) r=media-jam code=4 disp=stuck unc=true ;;
	ribbon-empty@before-print) r=marker-supply-empty code=3 ;;
	ribbon-empty@during-print) r=marker-supply-empty code=3 disp=rejected ;;
	cover-open@before-print) r=cover-open code=4 ;;
	cover-open@during-print) r=cover-open code=4 disp=rejected ;;
	reject-full@before-print) r=output-area-full code=4 ;;
	offline@before-print) r=offline code=6 ;;
	offline@*) r=offline code=4 disp=unknown unc=true ;;
	timeout@before-print) r=timed-out code=6 last=0 ;;
	timeout@*) r=timed-out code=6 disp=unknown unc=true last=0 ;;
	encode-failure@during-print) r=encode-failure code=6 disp=rejected last=0 ;;
	*) r=other code=1 last=0 ;;
	esac
}

fail() {
	effect "$1" "$2"
	if [ "$last" = 1 ]; then
		echo "$1" >"$dir/condition"
		echo "STATE: +$r-error" >&2
	else
		echo "STATE: +$r-report" >&2
		echo "STATE: -$r-report" >&2
	fi
	card=""
	[ "$disp" != none ] && card="card-serial=SIM-$serial"
	supplies "E-$r"
	if [ "$disp" = unknown ] && [ -n "$SIMCARD_UNREPORTED_FATE" ]; then
		echo "ATTR: $card" >&2
	else
		echo "ATTR: card-disposition=$disp uncertain=$unc $card" >&2
	fi
	echo "ERROR: simulated $1 at $2" >&2
	exit "$code"
}

# fire AT prints the kind of the first fault armed at AT and counts it.
fire() {
	[ -n "$ANJUNGAN_FAULT_FILE" ] && [ -s "$ANJUNGAN_FAULT_FILE" ] || return 0
	: >"$ANJUNGAN_FAULT_FILE.new"
	awk -v p="$1" -v out="$ANJUNGAN_FAULT_FILE.new" '
		$1 == "clear" { next }
		f == "" && $2 == p { f = $1; if ($3 > 1) print $1, $2, $3 - 1 > out; next }
		{ print > out }
		END { if (f != "") print f }' "$ANJUNGAN_FAULT_FILE"
	mv "$ANJUNGAN_FAULT_FILE.new" "$ANJUNGAN_FAULT_FILE"
}

if [ "$ANJUNGAN_ACTION" = status ]; then
	if [ -n "$ANJUNGAN_FAULT_FILE" ] && grep -qx clear "$ANJUNGAN_FAULT_FILE" 2>/dev/null; then
		rm -f "$dir/condition"
		: >"$ANJUNGAN_FAULT_FILE"
		cond=""
	fi
	if [ -n "$cond" ]; then
		effect "$cond" before-print
		echo "STATE: $r-error" >&2
	elif [ "$blanks" -eq 0 ]; then
		echo "STATE: media-empty-error" >&2
	else
		echo "STATE: none" >&2
	fi
	supplies
	exit 0
fi

[ $# -eq 6 ] || { echo "ERROR: usage: $0 job user title copies options file" >&2; exit 1; }
trap 'echo "ATTR: card-disposition=none" >&2; exit 5' TERM
[ -n "$cond" ] && fail "$cond" before-print
if [ "$blanks" -eq 0 ]; then
	echo "STATE: +media-empty-error" >&2
	echo "ATTR: card-disposition=none" >&2
	exit 3
fi
kind=$(fire before-print)
[ -n "$kind" ] && fail "$kind" before-print

serial=$((serial + 1))
echo "$serial" >"$dir/serial"
blanks=$((blanks - 1))
echo "$blanks" >"$dir/blanks"
echo "INFO: picked card SIM-$serial" >&2
trap 'kill "$sleeper" 2>/dev/null; echo "ATTR: card-disposition=rejected card-serial=SIM-$serial" >&2; exit 5' TERM
if [ -n "$SIMCARD_PICK_TIME" ]; then
	sleep "$SIMCARD_PICK_TIME" 2>/dev/null &
	sleeper=$!
	wait "$sleeper"
fi
kind=$(fire during-print)
[ -n "$kind" ] && fail "$kind" during-print
cp "$6" "$dir/$1.pdf" || { echo "ERROR: cannot write the card" >&2; exit 4; }
kind=$(fire after-print)
[ -n "$kind" ] && fail "$kind" after-print
supplies
echo "ATTR: card-serial=SIM-$serial pages=1" >&2
exit 0
