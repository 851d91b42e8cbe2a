#!/bin/sh
# html_page.sh CLI DIR - 'tcpsim sim SCENARIO --format html -o FILE' writes one
# self-contained page (README, docs/cli.md): an SVG ladder with one arrow per
# segment and the state diagram, no network references.
set -eu
cli=$1 dir=$2
mkdir -p "$dir"
page=$dir/handshake.html
rm -f "$page"
"$cli" sim handshake --format html -o "$page"
grep -q '<svg' "$page" || { echo "no SVG in $page" >&2; exit 1; }
n=$(grep -o 'data-seg=' "$page" | wc -l)
[ "$n" -eq 3 ] || { echo "expected 3 arrows (SYN, SYN-ACK, ACK), found $n" >&2; exit 1; }
grep -q 'data-state="ESTABLISHED"' "$page" || { echo "no ESTABLISHED state label" >&2; exit 1; }
if grep -Eq '(src|href)="https?:' "$page"; then echo "the page loads something from the network" >&2; exit 1; fi
echo "ok: $page"
