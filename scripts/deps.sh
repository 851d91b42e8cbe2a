#!/usr/bin/env bash
# deps.sh - install what tcpsim needs to build and test, if missing (Debian/Ubuntu).
# Idempotent: does nothing when every package is already installed.
set -euo pipefail
pkgs=(build-essential clang-format cmake pkg-config libpcap-dev libcmocka-dev libssl-dev openssl
      tshark tcpdump iproute2 ethtool clang libclang-rt-14-dev nftables python3 chromium graphviz)
pkgs+=(time)  # bench/run.sh: peak memory with /usr/bin/time -v
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
