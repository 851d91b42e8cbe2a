#!/usr/bin/env bash
# html_chromium.sh CLI OUTDIR - render 'tcpsim teach handshake --format html' in
# headless Chromium: the page's script must run to the end without console
# errors, and the DOM must hold the handshake's 3 arrows and 7 state labels
# (client CLOSED, SYN_SENT, ESTABLISHED; server CLOSED, LISTEN, SYN_RECEIVED,
# ESTABLISHED), with the visited path highlighted in the state diagram.
# Then the same for 'tcpsim sim tls12-handshake --format html --lang ko': one
# arrow per segment of the run, the TLS messages (named by the TLS parser) on
# the arrows, Korean page text. Saves OUTDIR/teach-handshake.png and
# OUTDIR/sim-tls12.png. Chromium: $TCPSIM_CHROMIUM (what CMake found), else PATH.
# Without Chromium: a failure, or exit 77 (CTest: skipped) only when
# TCPSIM_ALLOW_MISSING_TOOLS=1 (set by CTest under -DTCPSIM_ALLOW_MISSING_TOOLS=ON).
set -uo pipefail
cli=$1 out=$2
chrome=${TCPSIM_CHROMIUM:-}
case $chrome in *-NOTFOUND) chrome= ;; esac
[ -n "$chrome" ] || chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ] || [ ! -x "$chrome" ]; then
  if [ "${TCPSIM_ALLOW_MISSING_TOOLS:-}" = 1 ]; then
    echo "html_chromium.sh: chromium not installed (scripts/deps.sh installs it); skipped (TCPSIM_ALLOW_MISSING_TOOLS)"
    exit 77
  fi
  echo "FAIL html_chromium.sh: chromium not installed; scripts/deps.sh installs it"
  exit 1
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
# ---- a simulator scenario's page (tcpsim sim --format html), in Korean ----
spage=$out/sim-tls12.html
"$cli" sim tls12-handshake --format html --lang ko -o "$spage" || { echo "FAIL: tcpsim sim --format html"; exit 1; }
nseg=$("$cli" sim tls12-handshake --format json | grep -c '"type":"segment"')
sdom=$out/sim-tls12.dom.html
slog=$out/sim-tls12.chromium.log
timeout 60 "$chrome" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=2000 \
  --dump-dom "file://$spage" >"$sdom" 2>"$slog"
timeout 60 "$chrome" "${flags[@]}" --window-size=1440,1400 --screenshot="$out/sim-tls12.png" \
  "file://$spage" >/dev/null 2>>"$slog"
expect sim_arrows "$nseg" "$(grep -o 'data-seg="[0-9]*"' "$sdom" | wc -l)"
expect sim_script_ran 1 "$(grep -c 'data-ready="1"' "$sdom")"
expect sim_lang_ko 1 "$(grep -c '<html lang="ko">' "$sdom")"
# TLS names on the arrows, in order: the parser read the simulator's bytes
tls=$(grep -o '<text class="tls"[^>]*>[^<]*' "$sdom" | sed 's/.*>//' | tr '\n' '|')
expect sim_tls_on_arrows "ClientHello|ServerHello, Certificate, ServerHelloDone|ClientKeyExchange, change_cipher_spec, encrypted|change_cipher_spec, encrypted|" "$tls"
# Korean words on the page (legend) and in the arrows' details (a TLS explanation)
expect sim_korean_legend_and_panel 2 "$(grep -c '화살표에 마우스를' "$sdom")"
expect sim_korean_tls 1 "$(grep -c '인증서 1개' "$sdom")"
serrors=$(grep -E 'CONSOLE|Uncaught|SyntaxError|TypeError|ReferenceError' "$slog" | grep -v -i 'dbus' || true)
if [ -n "$serrors" ]; then echo "FAIL sim page console errors:"; echo "$serrors" | head -5; fail=1; else echo "ok   sim page: no console errors"; fi
[ $fail = 0 ] && echo "14 passed, 0 failed"
exit $fail
