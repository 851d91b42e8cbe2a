#!/usr/bin/env bash
# html_chromium.sh CLI OUTDIR - render 'tcpsim teach handshake --format html' in
# headless Chromium: the page's script must run to the end without console
# errors, and the DOM must hold the handshake's 3 arrows and 7 state labels
# (client CLOSED, SYN_SENT, ESTABLISHED; server CLOSED, LISTEN, SYN_RECEIVED,
# ESTABLISHED), with the visited path highlighted in the state diagram.
# Saves OUTDIR/teach-handshake.png. Exit 77 (skipped) without Chromium.
set -uo pipefail
cli=$1 out=$2
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
  echo "html_chromium.sh: chromium not installed (scripts/deps.sh installs it); skipped"
  exit 77
fi
mkdir -p "$out"
page=$out/teach-handshake.html
"$cli" teach handshake --format html -o "$page" >/dev/null </dev/null || { echo "FAIL: tcpsim teach --format html"; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --disable-dev-shm-usage --user-data-dir="$profile")
dom=$out/teach-handshake.dom.html
log=$out/teach-handshake.chromium.log
timeout 60 "$chrome" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=2000 \
  --dump-dom "file://$page" >"$dom" 2>"$log"
timeout 60 "$chrome" "${flags[@]}" --window-size=1440,1100 --screenshot="$out/teach-handshake.png" \
  "file://$page" >/dev/null 2>>"$log"
fail=0
expect() { # expect NAME WANT GOT
  if [ "$2" != "$3" ]; then echo "FAIL $1: want $2, got $3"; fail=1; else echo "ok   $1 = $3"; fi
}
expect arrows 3 "$(grep -o 'data-seg="[0-9]*"' "$dom" | wc -l)"
expect state_labels 7 "$(grep -o '<text class="state [cs]"[^>]*data-state=' "$dom" | wc -l)"
expect script_ran 1 "$(grep -c 'data-ready="1"' "$dom")"
# the handshake path on the diagram: CLOSED->SYN_SENT->ESTABLISHED (client), CLOSED->LISTEN->SYN_RECEIVED->ESTABLISHED (server)
expect visited_edges 5 "$(grep -o 'class="edge visited"' "$dom" | wc -l)"
expect syn_sent_client 1 "$(grep -o 'data-node="SYN_SENT" data-visited="client"' "$dom" | wc -l)"
errors=$(grep -E 'CONSOLE|Uncaught|SyntaxError|TypeError|ReferenceError' "$log" | grep -v -i 'dbus' || true)
if [ -n "$errors" ]; then echo "FAIL console errors:"; echo "$errors" | head -5; fail=1; else echo "ok   no console errors"; fi
if [ -s "$out/teach-handshake.png" ]; then echo "ok   screenshot $out/teach-handshake.png"; else echo "FAIL no screenshot"; fail=1; fi
[ $fail = 0 ] && echo "7 passed, 0 failed"
exit $fail
