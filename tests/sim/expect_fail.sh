#!/bin/sh
# expect_fail.sh MESSAGE CMD... - CMD must exit 2 and print MESSAGE on stderr.
msg=$1; shift
err=$("$@" 2>&1 >/dev/null)
rc=$?
if [ $rc -ne 2 ]; then echo "expected exit status 2, got $rc: $*" >&2; exit 1; fi
case $err in
  *"$msg"*) exit 0 ;;
  *) echo "expected a message containing '$msg', got: $err" >&2; exit 1 ;;
esac
