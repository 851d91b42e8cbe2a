#!/usr/bin/env bash
# tutorial.sh CLI TUTORIAL.md WORKDIR - run every '$ tcpsim ...' line of the
# tutorial's ```console blocks from the repository root (output files go to
# WORKDIR); each must exit 0.
set -uo pipefail
cli=$1 doc=$2 work=$3
root=$(cd "$(dirname "$doc")/.." && pwd)
mkdir -p "$work/tutorial"
pass=0 fail=0
inblock=0
while IFS= read -r line; do
  case "$line" in
    '```console') inblock=1; continue ;;
    '```'*) inblock=0; continue ;;
  esac
  [ $inblock = 1 ] || continue
  case "$line" in '$ tcpsim '*) ;; *) continue ;; esac
  cmd=${line#'$ tcpsim '}
  # files named on the command line are written in the work directory
  cmd=$(sed -E "s#(-o|--pcap) ([a-z0-9_.-]+\.(html|pcap))#\1 $work/tutorial/\2#g; s#^replay ([a-z0-9_.-]+\.pcap)#replay $work/tutorial/\1#" <<<"$cmd")
  if (cd "$root" && eval "\"$cli\" $cmd" </dev/null >"$work/tutorial/last.out" 2>&1); then
    pass=$((pass + 1)); echo "ok   tcpsim $cmd"
  else
    fail=$((fail + 1)); echo "FAIL tcpsim $cmd"; head -5 "$work/tutorial/last.out"
  fi
done <"$doc"
echo "$pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 10 ]
