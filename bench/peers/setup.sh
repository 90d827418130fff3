#!/usr/bin/env bash
# Installs what bench/peers/run.ts needs, from Debian only, and only what is missing:
# docker.io (dockerd with BuildKit built in, containerd, the docker 20.10 client at /usr/bin/docker),
# buildah, GNU time (peak RSS and CPU time), skopeo (the push floor), docker-registry (the local
# registry), busybox-static (the base image is built from it), runc, and tar/gzip for the floors.
# No service is started: the bench starts its own dockerd on a private socket and data root.
set -euo pipefail
packages=(docker.io containerd buildah time skopeo docker-registry busybox-static runc tar gzip coreutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ((${#missing[@]} > 0)); then
  echo "bench/peers/setup.sh: installing ${missing[*]}" >&2
  # An index that fails to update (a mirror mid-sync, a foreign architecture) need not stop us:
  # the install below fails clearly if a package is really not there.
  "${sudo[@]}" apt-get update -qq || true
  # --no-install-recommends: no docker-compose, no cgroupfs-mount service; policy-rc.d (when the
  # machine has one) keeps the system docker service from starting.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in /usr/bin/docker /usr/sbin/dockerd /usr/bin/containerd /usr/bin/buildah /usr/bin/time /usr/bin/skopeo /usr/bin/docker-registry /bin/busybox; do
  [ -x "$tool" ] || { echo "bench/peers/setup.sh: $tool is missing after the install" >&2; exit 1; }
done
echo "bench/peers/setup.sh: ready ($(/usr/sbin/dockerd --version), $(/usr/bin/buildah --version))" >&2
