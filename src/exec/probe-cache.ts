/**
 * Probe results kept across hull processes until the machine reboots: a runtime probe runs a
 * container (a few hundred ms), a snapshotter probe mounts an overlay (two processes), and whether
 * either works here changes only with the runtime binary or the filesystem, the kernel or the
 * boot (cgroup setup, modules). Root keeps them in /run/hull (tmpfs, cleared at boot); other
 * users under $XDG_RUNTIME_DIR or the temp dir. A damaged or stale file is ignored.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';

export type ProbeResult = { ok: true; binary: string } | { ok: false; reason: string };

function cacheFile(): string {
  const uid = process.getuid?.() ?? 0;
  const base = uid === 0 ? '/run/hull' : join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `hull-${uid}`);
  return join(base, 'runtime-probes.json');
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** What a runtime probe's answer is only valid for: this binary as it is now, on this kernel and boot. */
export async function binaryFingerprint(binary: string): Promise<string> {
  const st = await stat(binary);
  return `${binary} ${st.size} ${st.mtimeMs} ${release()} ${bootId()}`;
}

/** What a snapshotter probe's answer is only valid for: this directory's filesystem, on this kernel and boot. */
export async function directoryFingerprint(dir: string): Promise<string> {
  const st = await stat(dir);
  return `dir ${dir} ${st.dev} ${release()} ${bootId()}`;
}

async function readAll(): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(cacheFile(), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The answer remembered for `fingerprint`; the caller checks its shape (the file may be damaged). */
export async function cachedProbe(fingerprint: string): Promise<unknown> {
  return (await readAll())[fingerprint];
}

export async function rememberProbe(fingerprint: string, result: unknown): Promise<void> {
  try {
    const all = { ...(await readAll()), [fingerprint]: result };
    const file = cacheFile();
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(all), { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // Only an optimisation: the next process probes again.
  }
}
