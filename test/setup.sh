#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent: apt runs only when one is missing).
# Graphviz: the DOT renderer's output is checked with the real `dot`.
set -euo pipefail
packages=(graphviz attr zstd pigz skopeo umoci busybox-static docker-registry openssl apache2-utils runc crun)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "test/setup.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
