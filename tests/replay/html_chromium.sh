#!/usr/bin/env bash
# html_chromium.sh CLI CAPTURES OUTDIR - render 'tcpsim replay --format html'
# pages in headless Chromium (issue 7): the page's script must run to the end
# without console errors and the DOM must hold one arrow per captured segment.
#  1. captures/tls12-ecdhe.pcap in Korean: the TLS messages named by the TLS
#     parser on the arrows, in capture order, Korean page text and a Korean
#     TLS explanation in an arrow's details.
#  2. captures/tcp-many-v4v6.pcap: every connection on one page, and --conn N
#     only that connection's arrows.
# Saves OUTDIR/replay-tls12.png. Chromium: $TCPSIM_CHROMIUM (what CMake
# found), else PATH. Without Chromium: a failure, or exit 77 (CTest: skipped)
# only when TCPSIM_ALLOW_MISSING_TOOLS=1 (as tests/teach/html_chromium.sh).
set -uo pipefail
cli=$1 caps=$2 out=$3
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
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --disable-dev-shm-usage --user-data-dir="$profile")
fail=0 passed=0
expect() { # expect NAME WANT GOT
  if [ "$2" != "$3" ]; then echo "FAIL $1: want $2, got $3"; fail=1
  else echo "ok   $1 = $3"; passed=$((passed + 1)); fi
}
render() { # render PAGE DOM LOG
  timeout 60 "$chrome" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=2000 \
    --dump-dom "file://$1" >"$2" 2>"$3"
}
no_console_errors() { # no_console_errors NAME LOG
  local errors
  errors=$(grep -E 'CONSOLE|Uncaught|SyntaxError|TypeError|ReferenceError' "$2" | grep -v -i 'dbus' || true)
  if [ -n "$errors" ]; then echo "FAIL $1 console errors:"; echo "$errors" | head -5; fail=1
  else echo "ok   $1: no console errors"; passed=$((passed + 1)); fi
}
segments() { # segments CAPTURE [OPTIONS]: how many segment records the JSON view writes
  "$cli" replay --format json --no-progress "$@" | grep -c '"type":"segment"'
}

# ---- 1. a TLS 1.2 capture, in Korean ----
cap=$caps/tls12-ecdhe.pcap
page=$out/replay-tls12.html dom=$out/replay-tls12.dom.html log=$out/replay-tls12.chromium.log
"$cli" replay --format html --lang ko --no-progress -o "$page" "$cap" || { echo "FAIL: tcpsim replay --format html"; exit 1; }
render "$page" "$dom" "$log"
timeout 60 "$chrome" "${flags[@]}" --window-size=1440,1400 --screenshot="$out/replay-tls12.png" \
  "file://$page" >/dev/null 2>>"$log"
expect tls_arrows "$(segments "$cap")" "$(grep -o 'data-seg="[0-9]*"' "$dom" | wc -l)"
expect tls_script_ran 1 "$(grep -c 'data-ready="1"' "$dom")"
expect tls_lang_ko 1 "$(grep -c '<html lang="ko">' "$dom")"
expect tls_title_names_file 1 "$(grep -c '<title>tcpsim replay .*tls12-ecdhe.pcap</title>' "$dom")"
tls=$(grep -o '<text class="tls"[^>]*>[^<]*' "$dom" | sed 's/.*>//' | tr '\n' '|')
expect tls_on_arrows "ClientHello|ServerHello, Certificate, ServerKeyExchange, ServerHelloDone|ClientKeyExchange, change_cipher_spec, encrypted|NewSessionTicket, change_cipher_spec, encrypted|application_data|application_data|alert|alert|" "$tls"
# both endpoints' states on the ladder: client CLOSED..TIME_WAIT, server LISTEN..CLOSED
expect tls_client_time_wait 1 "$(grep -o '<text class="state c"[^>]*data-state="TIME_WAIT"' "$dom" | wc -l)"
expect tls_server_listen 1 "$(grep -o '<text class="state s"[^>]*data-state="LISTEN"' "$dom" | wc -l)"
expect tls_korean_legend 1 "$(grep -c '화살표에 마우스를 올리거나 클릭하면' "$dom")"
expect tls_korean_explanation 1 "$(grep -c '인증서 1개' "$dom")"
no_console_errors tls "$log"
if [ -s "$out/replay-tls12.png" ]; then echo "ok   screenshot $out/replay-tls12.png"; passed=$((passed + 1))
else echo "FAIL no screenshot"; fail=1; fi

# ---- 2. many connections on one page, or one picked ----
cap=$caps/tcp-many-v4v6.pcap
page=$out/replay-many.html dom=$out/replay-many.dom.html log=$out/replay-many.chromium.log
"$cli" replay --format html --no-progress -o "$page" "$cap" || { echo "FAIL: tcpsim replay --format html (many)"; exit 1; }
render "$page" "$dom" "$log"
expect many_arrows "$(segments "$cap")" "$(grep -o 'data-seg="[0-9]*"' "$dom" | wc -l)"
expect many_script_ran 1 "$(grep -c 'data-ready="1"' "$dom")"
expect many_lang_en 1 "$(grep -c '<html lang="en">' "$dom")"
no_console_errors many "$log"
page=$out/replay-conn2.html dom=$out/replay-conn2.dom.html log=$out/replay-conn2.chromium.log
"$cli" replay --format html --conn 2 --no-progress -o "$page" "$cap" || { echo "FAIL: tcpsim replay --format html --conn 2"; exit 1; }
render "$page" "$dom" "$log"
expect conn2_arrows "$(segments "$cap" --conn 2)" "$(grep -o 'data-seg="[0-9]*"' "$dom" | wc -l)"
expect conn2_script_ran 1 "$(grep -c 'data-ready="1"' "$dom")"
no_console_errors conn2 "$log"

echo "$passed passed, $([ $fail = 0 ] && echo 0 || echo some) failed"
exit $fail
