#!/bin/sh
# expect_error.sh MESSAGE CMD... - CMD must exit 2 (a script error, docs/cli.md
# "run") and print MESSAGE (the runner reports on stdout, "ERROR file: ...").
msg=$1; shift
out=$("$@" 2>&1)
rc=$?
if [ $rc -ne 2 ]; then echo "expected exit status 2, got $rc: $*" >&2; exit 1; fi
case $out in
  *"$msg"*) exit 0 ;;
  *) echo "expected a message containing '$msg', got: $out" >&2; exit 1 ;;
esac
