#!/bin/sh
# Floods stdout without end; the station must stop it at the cap.
exec yes '{"nik": "3171012503900001", "card_serial": "0102030405060708", "issuer": "x", "issued_at": "2020-01-02T00:00:00Z"}'
