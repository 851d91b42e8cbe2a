#!/usr/bin/env bash
# quickstart.sh - the README's first command: install what is missing, build,
# and run the main job on a bundled capture.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
./build/tcpsim replay captures/tls12-rsa.pcap --format ladder
