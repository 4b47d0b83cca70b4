#!/bin/sh
# The card left the reader in the middle of the read.
echo '{"error": "card_lost", "message": "no answer at APDU 4"}'
exit 1
