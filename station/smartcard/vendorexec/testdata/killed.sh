#!/bin/sh
# Prints an identity, then dies by a signal before exiting: the answer
# is not trusted.
echo '{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
kill -KILL $$
