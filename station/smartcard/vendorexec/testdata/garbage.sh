#!/bin/sh
# Prints something that is not JSON and exits as if it had worked.
echo 'NIK=3171012503900001 OK'
