#!/bin/sh
# A vendor program that reads the card: it echoes its arguments, the
# request id and the NIK to stderr (the station must mask the NIK).
echo "args: $*" >&2
echo "request $ANJUNGAN_REQUEST_ID" >&2
echo "read NIK 3171012503900001" >&2
printf '{"nik": "3171012503900001", "card_serial": "0102030405060708",\n "issuer": "dukcapil-test", "issued_at": "2020-01-02T00:00:00Z"}\n'
