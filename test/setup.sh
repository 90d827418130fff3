#!/usr/bin/env bash
# Installs what the test suite needs (idempotent: apt runs only when a package is missing) and
# makes the Debian root filesystem the build tests use as a base image, without Docker Hub:
# debootstrap --variant=minbase from Debian's mirror, kept as a tarball between runs.
# Graphviz: the DOT renderer's output is checked with the real `dot`. qemu-user-static and the
# armhf/arm64 static busyboxes: foreign-platform RUN steps (test/integration/binfmt.test.ts,
# test/helpers/bases.ts publishMultiPlatformBusybox).
set -euo pipefail
packages=(graphviz attr zstd pigz skopeo umoci busybox-static docker-registry openssl apache2-utils runc crun
  debootstrap git bzip2 xz-utils qemu-user-static)
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

# Static busyboxes for arm/v7 and arm64, from Debian's own packages of those architectures
# (apt-get download + dpkg-deb -x: nothing foreign is installed on this machine).
cache_dir=/var/cache/hull-test
foreign=()
for arch in armhf arm64; do
  [ -x "$cache_dir/busybox-$arch" ] || foreign+=("$arch")
done
if ((${#foreign[@]} > 0)); then
  echo "test/setup.sh: fetching busybox-static for ${foreign[*]} (once; kept in $cache_dir)" >&2
  added=0
  for arch in "${foreign[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$arch" || { "${sudo[@]}" dpkg --add-architecture "$arch"; added=1; }
  done
  # An index that fails to update (a mirror mid-sync) need not stop us: the download below
  # fails clearly if busybox-static is really not there.
  ((added == 0)) || "${sudo[@]}" apt-get update -qq || true
  bb_work=$(mktemp -d /var/tmp/hull-busybox.XXXXXX)
  trap 'rm -rf "${work:-}" "$bb_work"' EXIT
  # As root, apt downloads as its _apt user and warns when that user cannot write the directory.
  [ "$(id -u)" -ne 0 ] || chown _apt "$bb_work"
  debs=("${foreign[@]/#/busybox-static:}")
  # Lists from before the architecture was added lack its packages: update once and retry.
  (cd "$bb_work" && apt-get download -qq "${debs[@]}" 2>/dev/null) ||
    { "${sudo[@]}" apt-get update -qq || true; (cd "$bb_work" && apt-get download -qq "${debs[@]}"); }
  "${sudo[@]}" mkdir -p "$cache_dir"
  for arch in "${foreign[@]}"; do
    dpkg-deb -x "$bb_work"/busybox-static_*_"$arch".deb "$bb_work/$arch"
    "${sudo[@]}" install -m 755 "$bb_work/$arch/bin/busybox" "$cache_dir/busybox-$arch"
  done
fi
