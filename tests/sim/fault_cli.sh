#!/bin/sh
# fault_cli.sh CLI - the three faults on the command line, checked in
# the JSON: a dropped 2nd server segment, a client FIN 300 ms late, a
# duplicated last ACK.
set -eu
cli=$1
j=$("$cli" sim close-client-first --format json --fault 'drop server#2')
n=$(printf '%s\n' "$j" | grep '"dir":"s2c"' | grep -c '"dropped":true')
[ "$n" -eq 1 ] || { echo "drop server#2: expected 1 dropped server segment, got $n" >&2; exit 1; }
printf '%s\n' "$j" | grep '"dir":"s2c"' | sed -n 2p | grep -q '"dropped":true' ||
  { echo "drop server#2: the server's 2nd segment is not the dropped one" >&2; exit 1; }
j=$("$cli" sim close-client-first --format json --fault 'delay client FIN 300ms')
printf '%s\n' "$j" | grep '"flags":\["FIN","ACK"\]' | grep '"dir":"c2s"' | grep -q '"time":0.070000,.*"arrived":0.380000' ||
  { echo "delay client FIN 300ms: FIN not sent at 0.070 and arrived at 0.380" >&2; exit 1; }
j=$("$cli" sim close-client-first --format json --fault 'dup last ACK')
n=$(printf '%s\n' "$j" | grep -c '"duplicated":true')
[ "$n" -eq 1 ] || { echo "dup last ACK: expected 1 duplicate, got $n" >&2; exit 1; }
echo ok
