/**
 * The built-in fallback when no OCI runtime works: `unshare` gives the step its own mount, pid,
 * ipc and uts (and for `none`, network) namespaces; a host shell script mounts /proc, /dev, /sys
 * and the generated /etc files into the rootfs, then `unshare --root --wd -S -G` enters it.
 * Weaker than runc: the step keeps every capability of root and loses supplementary groups
 * (unshare --setgid clears them), and there is no device cgroup and no pids limit.
 */
import type { OciSpec } from './spec.js';

/** Runs as `sh -c SCRIPT sh ROOT HOSTNAME CWD UID GID [DEST SOURCE]... -- ARGS...` inside the new namespaces. */
const SCRIPT = `set -e
step_path=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin
r=$1; name=$2; cwd=$3; uid=$4; gid=$5; shift 5
echo "$name" > /proc/sys/kernel/hostname
mkdir -p "$r/proc" "$r/dev" "$r/sys"
mount -t proc -o nosuid,noexec,nodev proc "$r/proc"
mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs "$r/dev"
for d in null zero full random urandom tty; do touch "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
mkdir "$r/dev/pts" "$r/dev/shm" "$r/dev/mqueue"
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"; ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"; ln -s /proc/self/fd/2 "$r/dev/stderr"
mount -t tmpfs -o nosuid,noexec,nodev,mode=1777,size=65536k shm "$r/dev/shm"
mount -t mqueue -o nosuid,noexec,nodev mqueue "$r/dev/mqueue"
mount -t sysfs -o nosuid,noexec,nodev,ro sysfs "$r/sys" 2>/dev/null || mount --rbind -o ro /sys "$r/sys"
while [ "$1" != "--" ]; do
  mkdir -p "$r$(dirname "$1")"; [ -e "$r$1" ] || touch "$r$1"; mount --bind "$2" "$r$1"; shift 2
done
shift
PATH=$step_path
exec unshare --root="$r" --wd="$cwd" --setuid "$uid" --setgid "$gid" -- "$@"
`;

/** The command line running `spec` (built for the OCI runtimes) with the unshare fallback. */
export function chrootCommand(unshare: string, spec: OciSpec): { command: string; args: string[] } {
  const ns = ['--mount', '--pid', '--ipc', '--uts', '--fork', '--kill-child', '--propagation', 'private'];
  if (spec.linux.namespaces.some((n) => n.type === 'network')) ns.push('--net');
  const binds = spec.mounts.filter((m) => m.type === 'bind').flatMap((m) => [m.destination, m.source]);
  const p = spec.process;
  return {
    command: unshare,
    args: [...ns, '--', '/bin/sh', '-c', SCRIPT, 'sh', spec.root.path, spec.hostname, p.cwd, String(p.user.uid), String(p.user.gid), ...binds, '--', ...p.args],
  };
}
