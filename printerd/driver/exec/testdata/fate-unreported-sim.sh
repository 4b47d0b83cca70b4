#!/bin/sh
# simcard.sh as a terse vendor program: it reports the card's fate only
# when it knows it (none, rejected, stuck) and says nothing, not even
# uncertain=true, when it does not (offline or a timeout after the pick).
SIMCARD_UNREPORTED_FATE=1 exec "$(dirname "$0")/simcard.sh" "$@"
