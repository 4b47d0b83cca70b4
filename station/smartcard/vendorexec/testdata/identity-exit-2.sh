#!/bin/sh
# An identity with a failing exit status contradicts itself.
echo '{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
exit 2
