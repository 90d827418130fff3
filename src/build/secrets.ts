/**
 * Build secrets (`hull build --secret`, `RUN --mount=type=secret`). A secret names where its
 * value is, not the value: it is read only when a RUN mounts it, so the value is in memory and
 * on disk for that step alone, and never reaches a layer, the history, a cache key or a log.
 */
import { readFile } from 'node:fs/promises';

/** A file on the build host, or an environment variable of the hull process. */
export type Secret = { file: string } | { env: string };

/** BuildKit's limit (secretsprovider MaxSecretSize): a secret is a token or a key, not a payload. */
export const MAX_SECRET_SIZE = 500 * 1024;

/** The value; undefined when its environment variable is not set (the secret is then missing, as in BuildKit). */
export async function readSecret(secret: Secret): Promise<Buffer | undefined> {
  if ('file' in secret) return readFile(secret.file);
  const value = process.env[secret.env];
  return value === undefined ? undefined : Buffer.from(value);
}
