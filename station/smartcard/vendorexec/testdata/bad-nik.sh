#!/bin/sh
# A NIK with province code 00, which no valid NIK has.
echo '{"nik": "0071012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
