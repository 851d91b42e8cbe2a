#!/usr/bin/env bash
# format.sh [--check] - apply (or, with --check, verify) .clang-format on every C source.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find include src tests bench docs -name '*.[ch]' -not -path '*/build*' | sort)
if [ "${1:-}" = "--check" ]; then
    clang-format --dry-run --Werror "${files[@]}"
    echo "format.sh: ${#files[@]} files formatted as .clang-format says"
else
    clang-format -i "${files[@]}"
fi
