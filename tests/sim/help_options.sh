#!/bin/sh
# help_options.sh CLI COMMAND DOC - every long option in the option table of
# DOC's "## COMMAND" section (docs/cli.md) appears in 'tcpsim COMMAND --help',
# and every long option the help lists is documented there: the two cannot drift.
set -eu
cli=$1 cmd=$2 doc=$3
help=$("$cli" "$cmd" --help) || { echo "tcpsim $cmd --help failed" >&2; exit 1; }
# the section: from "## cmd" to the next "## "; option names in its table rows' first cell
doc_opts=$(awk -v s="## $cmd" '$0 == s { on = 1; next } /^## / { on = 0 } on && /^\| `-/' "$doc" |
  cut -d'|' -f2 | grep -o -- '--[a-z][a-z0-9_-]*' | sort -u)
help_opts=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9_-]*' | sort -u)
[ -n "$doc_opts" ] || { echo "no options found in the '## $cmd' table of $doc" >&2; exit 1; }
fail=0
for o in $doc_opts; do
  printf '%s\n' "$help_opts" | grep -qx -- "$o" || { echo "documented in $doc but not in '$cmd --help': $o" >&2; fail=1; }
done
for o in $help_opts; do
  [ "$o" = --help ] && continue
  printf '%s\n' "$doc_opts" | grep -qx -- "$o" || grep -q -- "\`$o" "$doc" ||
    { echo "in '$cmd --help' but not documented in $doc: $o" >&2; fail=1; }
done
[ $fail = 0 ] && echo "ok: $(printf '%s\n' "$doc_opts" | wc -l) documented options of '$cmd' all in --help"
exit $fail
