#!/bin/sh
# expect_output.sh TEXT CMD... - CMD must exit 0 and print TEXT (a fixed string)
# on stdout. Unlike CTest's PASS_REGULAR_EXPRESSION, which ignores the exit
# status, a crash or a sanitizer abort after the text was printed fails.
text=$1; shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then echo "expected exit status 0, got $rc: $*" >&2; exit 1; fi
case $out in
  *"$text"*) ;;
  *) echo "expected the output to contain '$text'" >&2; exit 1 ;;
esac
case $out in
  *AddressSanitizer* | *LeakSanitizer* | *"runtime error"*) echo "sanitizer report in the output" >&2; exit 1 ;;
esac
exit 0
