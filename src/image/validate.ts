/**
 * Small shape checks for JSON documents from registries and disks: each names the JSON path
 * that is wrong (`manifests[2].digest`) so a bad document can be found and reported.
 */
import { isDigest, type Digest } from './digest.js';
import { ManifestError } from './errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class Checker {
  /** What is being read, for messages: `image manifest`, `image config`. */
  readonly what: string;

  constructor(what: string) {
    this.what = what;
  }

  fail(path: string, problem: string): never {
    throw new ManifestError(`${this.what}: ${path ? `${path} ` : ''}${problem}`);
  }

  parse(bytes: Uint8Array | string): Json {
    const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return JSON.parse(text) as Json;
    } catch (err) {
      return this.fail('', `is not valid JSON (${(err as Error).message})`);
    }
  }

  object(value: Json | undefined, path: string): JsonObject {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return this.fail(path, `must be a JSON object, not ${describe(value)}`);
    return value;
  }

  array(value: Json | undefined, path: string): Json[] {
    if (!Array.isArray(value)) return this.fail(path, `must be an array, not ${describe(value)}`);
    return value;
  }

  string(value: Json | undefined, path: string): string {
    if (typeof value !== 'string') return this.fail(path, `must be a string, not ${describe(value)}`);
    return value;
  }

  nonEmptyString(value: Json | undefined, path: string): string {
    const s = this.string(value, path);
    if (s === '') return this.fail(path, 'must not be empty');
    return s;
  }

  boolean(value: Json | undefined, path: string): boolean {
    if (typeof value !== 'boolean') return this.fail(path, `must be true or false, not ${describe(value)}`);
    return value;
  }

  integer(value: Json | undefined, path: string, min = Number.MIN_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return this.fail(path, `must be an integer, not ${describe(value)}`);
    if (value < min) return this.fail(path, `must be at least ${min}, not ${value}`);
    return value;
  }

  digest(value: Json | undefined, path: string): Digest {
    const s = this.string(value, path);
    if (!isDigest(s)) return this.fail(path, `"${s}" is not a valid digest (sha256:<64 lowercase hex> or sha512:<128>)`);
    return s;
  }

  strings(value: Json | undefined, path: string): string[] {
    return this.array(value, path).map((v, i) => this.string(v, `${path}[${i}]`));
  }

  stringMap(value: Json | undefined, path: string): Record<string, string> {
    const obj = this.object(value, path);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = this.string(v, `${path}["${k}"]`);
    return out;
  }

  /** `{"80/tcp": {}}`: Docker's sets, whose values are always empty objects. */
  set(value: Json | undefined, path: string): Record<string, Record<string, never>> {
    const obj = this.object(value, path);
    const out: Record<string, Record<string, never>> = {};
    for (const [k, v] of Object.entries(obj)) {
      this.object(v, `${path}["${k}"]`);
      out[k] = {};
    }
    return out;
  }
}

/** `null` and absent both mean "not set" in Docker's Go-written JSON. */
export function present(value: Json | undefined): value is Exclude<Json, null> {
  return value !== undefined && value !== null;
}

function describe(value: Json | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
