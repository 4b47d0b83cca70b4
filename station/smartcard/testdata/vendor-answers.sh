#!/bin/sh
# A vendor program for the reader loop's tests (see TestLoopVendorProgram):
#
#   vendor-answers.sh ANSWER RUNLOG NIK CARD_READER SAM_READER
#
# The station passes the first three (-card-vendor-arg) and the reader
# names. Each run appends the reader names to RUNLOG, so a test sees when
# and for which readers the station ran it; ANSWER "read" prints an
# identity with NIK, any other ANSWER is reported as the error code.
answer=$1 runlog=$2 nik=$3 card=$4 sam=$5
echo "$card|$sam" >>"$runlog"
if [ "$answer" = read ]; then
	printf '{"nik": "%s", "card_serial": "0a0b0c0d", "issuer": "vendor-test", "issued_at": "2021-03-04T05:06:07Z"}\n' "$nik"
	exit 0
fi
printf '{"error": "%s", "message": "test answer"}\n' "$answer"
exit 1
