/**
 * Runtime probe results kept across hull processes until the machine reboots: a probe runs a
 * container (a few hundred ms), and whether a runtime works here changes only with the runtime
 * binary, the kernel or the boot (cgroup setup). Root keeps them in /run/hull (tmpfs, cleared at
 * boot); other users under $XDG_RUNTIME_DIR or the temp dir. A damaged or stale file is ignored.
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

/** What a cached answer is only valid for: this binary as it is now, on this kernel and boot. */
async function fingerprint(binary: string): Promise<string> {
  const st = await stat(binary);
  return `${binary} ${st.size} ${st.mtimeMs} ${release()} ${bootId()}`;
}

async function readAll(): Promise<Record<string, ProbeResult>> {
  try {
    return JSON.parse(await readFile(cacheFile(), 'utf8')) as Record<string, ProbeResult>;
  } catch {
    return {};
  }
}

export async function cachedProbe(binary: string): Promise<ProbeResult | undefined> {
  const entry = (await readAll())[await fingerprint(binary)];
  return entry && typeof entry.ok === 'boolean' ? entry : undefined;
}

export async function rememberProbe(binary: string, result: ProbeResult): Promise<void> {
  try {
    const all = { ...(await readAll()), [await fingerprint(binary)]: result };
    const file = cacheFile();
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(all), { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // Only an optimisation: the next process probes again.
  }
}
