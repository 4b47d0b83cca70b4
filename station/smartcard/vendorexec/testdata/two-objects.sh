#!/bin/sh
# Two identities in one answer: which one is the citizen? Neither.
echo '{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
echo '{"nik": "3171016505900002", "card_serial": "0102030405060709", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
