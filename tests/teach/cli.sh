#!/usr/bin/env bash
# cli.sh CLI - 'tcpsim teach' argument handling: list, errors, languages.
set -uo pipefail
cli=$1
fail=0
check() { # check NAME EXPECTED_STATUS PATTERN -- command...
  local name=$1 want=$2 pat=$3; shift 4
  local out st
  out=$("$@" 2>&1 </dev/null); st=$?
  if [ "$st" != "$want" ] || ! grep -q -- "$pat" <<<"$out"; then
    echo "FAIL $name: status $st (want $want), output:"; echo "$out" | head -5; fail=1
  else
    echo "ok   $name"
  fi
}
check list_en 0 "tls12-rsa" -- "$cli" teach --list
check list_ko 0 "레슨" -- "$cli" teach --list --lang ko
check no_lesson_lists 0 "handshake" -- "$cli" teach
check unknown_lesson 2 "no lesson 'nope'" -- "$cli" teach nope
check bad_lang 2 "expected 'en' or 'ko'" -- "$cli" teach handshake --lang fr
check bad_format 2 "expected 'text' or 'html'" -- "$cli" teach handshake --format pdf
check html_needs_o 2 "needs -o FILE" -- "$cli" teach handshake --format html
# --help says what docs/cli.md says: no pause when stdin or stdout is not a terminal (the code: isatty(0) && isatty(1))
check help_no_pause 0 "automatic when stdin or stdout is not a terminal" -- "$cli" teach --help
# -o is the HTML page only: with text (the default or --format text) it is an error, and no file appears
tmpd=$(mktemp -d); trap 'rm -rf "$tmpd"' EXIT
check o_needs_html 2 "-o $tmpd/x.txt needs --format html" -- "$cli" teach handshake --no-pause -o "$tmpd/x.txt"
check o_text_needs_html 2 "needs --format html" -- "$cli" teach handshake --format text -o "$tmpd/y.txt"
if [ -e "$tmpd/x.txt" ] || [ -e "$tmpd/y.txt" ]; then echo "FAIL o_no_file: a file was written"; fail=1; else echo "ok   o_no_file"; fi
check two_lessons 2 "one lesson at a time" -- "$cli" teach handshake close
check missing_value 2 "needs a value" -- "$cli" teach handshake --lang
check ko_text 0 "3-way handshake" -- "$cli" teach handshake --lang ko --no-pause
# stdin not a terminal: never waits for a key even without --no-pause
check no_tty_no_pause 0 "ESTABLISHED" -- timeout 10 "$cli" teach handshake
# an HTML page that cannot be written: the reason, and status 1 as docs/cli.md says
check html_unwritable 1 "/nonexistent/dir/x.html: cannot write the HTML page: No such file or directory" -- \
  "$cli" teach handshake --no-pause --format html -o /nonexistent/dir/x.html
[ $fail = 0 ] && echo "16 passed, 0 failed" || echo "cli.sh: failures"
exit $fail
