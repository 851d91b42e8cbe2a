#!/bin/sh
# dot_check.sh CLI DOT SCENARIO - Graphviz must accept the scenario's DOT view
# (every run of it) and draw all eleven RFC 9293 §3.3.2 states.
set -eu
cli=$1 dot=$2 scenario=$3
out=$("$cli" sim "$scenario" --format dot) || { echo "tcpsim sim $scenario failed" >&2; exit 1; }
svg=$(printf '%s\n' "$out" | "$dot" -Tsvg) || { echo "dot rejected the output of $scenario" >&2; exit 1; }
for s in CLOSED LISTEN SYN_SENT SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT; do
  printf '%s' "$svg" | grep -q ">$s<" || { echo "state $s missing from the SVG of $scenario" >&2; exit 1; }
done
echo "ok: $scenario"
