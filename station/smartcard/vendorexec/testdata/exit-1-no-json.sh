#!/bin/sh
# Fails without the JSON answer the contract asks for.
echo 'libvendor: SCardConnect failed' >&2
exit 1
