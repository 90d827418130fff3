#!/usr/bin/env bash
# Installs what the test suite needs (idempotent: apt runs only when a package is missing) and
# makes the Debian root filesystem the build tests use as a base image, without Docker Hub:
# debootstrap --variant=minbase from Debian's mirror, kept as a tarball between runs.
# Graphviz: the DOT renderer's output is checked with the real `dot`.
set -euo pipefail
packages=(graphviz attr zstd pigz skopeo umoci busybox-static docker-registry openssl apache2-utils runc crun
  debootstrap git bzip2 xz-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ((${#missing[@]} > 0)); then
  echo "test/setup.sh: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian base: test/integration/build-debian.test.ts imports it with `hull import`.
debian_tar=${HULL_TEST_DEBIAN_TAR:-/var/cache/hull-test/debian-bookworm-minbase.tar}
if [ ! -s "$debian_tar" ]; then
  echo "test/setup.sh: debootstrap --variant=minbase bookworm (once; kept in $debian_tar)" >&2
  work=$(mktemp -d /var/tmp/hull-debootstrap.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  "${sudo[@]}" mkdir -p "$(dirname "$debian_tar")"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  "${sudo[@]}" debootstrap --variant=minbase bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$work/log" 2>&1 ||
    { tail -n 30 "$work/log" >&2; exit 1; }
  "${sudo[@]}" rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  "${sudo[@]}" tar -C "$work/rootfs" --numeric-owner -cf "$work/rootfs.tar" .
  "${sudo[@]}" mv "$work/rootfs.tar" "$debian_tar"
fi
