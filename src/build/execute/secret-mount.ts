/**
 * RUN --mount=type=secret, as BuildKit does it: the secret `id` (default: the target's base name)
 * as a read-only file at the target (default /run/secrets/<id>) and/or, with `env=VAR`, as the
 * variable VAR of the step's process (a file too only when a target is given). A secret the build
 * was not given skips the mount, unless `required=true`.
 *
 * The file lives in the step's private temp dir (mode 0700, outside the rootfs, so it is never in
 * the upper dir) and is bind-mounted; the caller removes it as soon as the container is gone.
 * Messages name the secret's id, never its value.
 */
import { chmod, chown, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { BuildError } from '../../errors.js';
import type { OciMount } from '../../exec/spec.js';
import type { Mount } from '../../parse/instructions/types.js';
import { MAX_SECRET_SIZE, readSecret, type Secret } from '../secrets.js';
import type { StepContext } from './step.js';

export interface SecretMount {
  /** The file's bind mount, when the secret is mounted as a file. */
  mount?: OciMount;
  /** `VAR=value` for the process environment, when `env=` asks for it: never log or store it. */
  env?: string;
}

/** The secret's mount and/or variable; undefined when an optional secret was not given. `file` is where its file may go. */
export async function secretMount(m: Mount, secrets: ReadonlyMap<string, Secret>, file: string, step: StepContext): Promise<SecretMount | undefined> {
  const id = m.id ?? m.source ?? (m.target !== undefined ? posix.basename(m.target) : undefined);
  if (id === undefined) throw new BuildError(`--mount=${m.spec}: a secret mount needs id=<secret id> or target=<path>`, step.position);
  const value = await secretValue(id, secrets, step);
  if (value === undefined) {
    if (m.required) {
      throw new BuildError(`secret "${id}" is required by this RUN (required=true) but the build has no secret with that id: give it with --secret id=${id},src=FILE or --secret id=${id},env=VARIABLE`, step.position);
    }
    return undefined;
  }
  const out: SecretMount = {};
  if (m.env !== undefined) out.env = `${m.env}=${value.toString('utf8')}`;
  const target = m.target ?? (m.env === undefined ? `/run/secrets/${posix.basename(id)}` : undefined);
  if (target !== undefined) {
    // Written private first, then handed to its owner with its mode: umask cannot loosen or tighten it.
    await writeFile(file, value, { mode: 0o600, flag: 'wx' });
    await chown(file, m.uid ?? 0, m.gid ?? 0);
    await chmod(file, m.mode ?? 0o400);
    out.mount = { destination: target, type: 'bind', source: file, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] };
  }
  return out;
}

async function secretValue(id: string, secrets: ReadonlyMap<string, Secret>, step: StepContext): Promise<Buffer | undefined> {
  const secret = secrets.get(id);
  if (secret === undefined) return undefined;
  let value: Buffer | undefined;
  try {
    value = await readSecret(secret);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new BuildError(`secret "${id}": cannot read ${'file' in secret ? secret.file : `$${secret.env}`} (${reason})`, step.position);
  }
  if (value !== undefined && value.length > MAX_SECRET_SIZE) {
    throw new BuildError(`secret "${id}" is ${value.length} bytes; secrets are limited to ${MAX_SECRET_SIZE} bytes (500 KiB), as in BuildKit`, step.position);
  }
  return value;
}
