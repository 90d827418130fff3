/**
 * `RUN --mount=<csv>`: BuildKit's CSV of key=value fields into a typed mount. Values holding a
 * `$` are kept and checked later: the builder re-runs `parseMount` with an expander.
 */
import type { Range } from '../ast.js';
import { didYouMean } from './suggest.js';
import type { Mount, MountSharing, MountType } from './types.js';

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly MountSharing[] = ['shared', 'private', 'locked'];
const KEYS = [
  'type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw',
  'id', 'sharing', 'required', 'mode', 'uid', 'gid', 'env', 'size',
] as const;
type Key = (typeof KEYS)[number];

/** A mount spec that cannot be used: the message says why; the caller adds the position. */
export class MountSpecError extends Error {
  override name = 'MountSpecError';
}

/** Go's encoding/csv for a single record: `"` quotes a field, `""` is a quote inside one. */
export function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new MountSpecError(`unterminated quote in "${text}"`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',') throw new MountSpecError(`unexpected text after a closing quote in "${text}"`);
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') throw new MountSpecError(`a quote in the middle of a field in "${text}": quote the whole field`);
        field += text[i++];
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** `expand` turns a raw value into its final text; without it, values with `$` are deferred. */
export type WordExpander = (word: string) => string;

/** Parses one `--mount` value; throws MountSpecError with a sentence a user can act on. */
export function parseMount(spec: string, range: Range, expand?: WordExpander): Mount {
  const fields = splitCsv(spec).map(splitField);
  const typeField = fields.find((f) => f.key.toLowerCase() === 'type');
  let type: MountType = 'bind';
  let typeDeferred = false;
  if (typeField) {
    const raw = typeField.value ?? '';
    const value = expand ? expand(raw) : raw;
    if (expand || !value.includes('$')) type = mountType(value);
    else typeDeferred = true;
  }
  const m: Mount = { type, readonly: type === 'bind' || type === 'secret' || type === 'ssh', unexpanded: [], spec, range };
  if (typeDeferred) m.unexpanded.push('type');
  let readonlySet = false;

  for (const { key: rawKey, value: rawValue, field } of fields) {
    const key = rawKey.toLowerCase();
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new MountSpecError(`unknown mount option "${rawKey}" in "${field}"${didYouMean(key, KEYS)}; options are ${KEYS.join(', ')}`);
    }
    if (rawValue === undefined) {
      if (key === 'readonly' || key === 'ro' || key === 'readwrite' || key === 'rw') {
        m.readonly = key === 'readonly' || key === 'ro';
        readonlySet = true;
        continue;
      }
      if (key === 'required') {
        requireType(m, 'required', ['secret', 'ssh']);
        m.required = true;
        continue;
      }
      throw new MountSpecError(`mount option "${field}" needs a value: ${key}=<value>`);
    }
    if (key === 'type') continue;
    const value = expand ? expand(rawValue) : rawValue;
    if (!expand && value.includes('$')) {
      // Still checked for the type it belongs to, so a misplaced key fails now, not mid-build.
      checkKeyForType(m, key as Key);
      m.unexpanded.push(key);
      continue;
    }
    if (applyField(m, key as Key, value)) readonlySet = true;
  }
  if (!readonlySet) m.readonly = m.type === 'bind' || m.type === 'secret' || m.type === 'ssh';
  checkMount(m);
  return m;
}

function splitField(field: string): { key: string; value: string | undefined; field: string } {
  const eq = field.indexOf('=');
  return eq < 0 ? { key: field.trim(), value: undefined, field } : { key: field.slice(0, eq).trim(), value: field.slice(eq + 1), field };
}

function mountType(value: string): MountType {
  const lower = value.toLowerCase();
  if ((MOUNT_TYPES as readonly string[]).includes(lower)) return lower as MountType;
  throw new MountSpecError(`unsupported mount type "${value}"${didYouMean(lower, MOUNT_TYPES)}; types are ${MOUNT_TYPES.join(', ')}`);
}

function requireType(m: Mount, key: string, types: readonly MountType[]): void {
  if (m.unexpanded.includes('type')) return;
  if (!types.includes(m.type)) {
    throw new MountSpecError(`"${key}" is not valid for a ${m.type} mount; it applies to ${types.join(' and ')} mounts`);
  }
}

function checkKeyForType(m: Mount, key: Key): void {
  switch (key) {
    case 'from':
      return requireType(m, key, ['bind', 'cache']);
    case 'sharing':
      return requireType(m, key, ['cache']);
    case 'required':
      return requireType(m, key, ['secret', 'ssh']);
    case 'mode':
    case 'uid':
    case 'gid':
      return requireType(m, key, ['cache', 'secret', 'ssh']);
    case 'env':
      return requireType(m, key, ['secret']);
    case 'size':
      return requireType(m, key, ['tmpfs']);
    default:
      return;
  }
}

/** Returns true when the field set read-only-ness explicitly. */
function applyField(m: Mount, key: Key, value: string): boolean {
  checkKeyForType(m, key);
  switch (key) {
    case 'type':
      return false;
    case 'from':
      m.from = value;
      return false;
    case 'source':
    case 'src':
      m.source = value;
      return false;
    case 'target':
    case 'dst':
    case 'destination':
      m.target = value;
      return false;
    case 'readonly':
    case 'ro':
      m.readonly = parseBool(key, value);
      return true;
    case 'readwrite':
    case 'rw':
      m.readonly = !parseBool(key, value);
      return true;
    case 'required':
      m.required = parseBool(key, value);
      return false;
    case 'id':
      m.id = value;
      return false;
    case 'sharing': {
      const lower = value.toLowerCase();
      if (!(SHARING as readonly string[]).includes(lower)) {
        throw new MountSpecError(`unsupported sharing value "${value}"; use shared, private or locked`);
      }
      m.sharing = lower as MountSharing;
      return false;
    }
    case 'mode':
      if (!/^[0-7]+$/.test(value) || parseInt(value, 8) > 0o7777) {
        throw new MountSpecError(`mode=${value} is not an octal file mode such as 0400 or 755`);
      }
      m.mode = parseInt(value, 8);
      return false;
    case 'uid':
    case 'gid': {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new MountSpecError(`${key}=${value} is not a numeric id`);
      m[key] = n;
      return false;
    }
    case 'env':
      m.env = value;
      return false;
    case 'size':
      m.size = parseSize(value);
      return false;
  }
}

function parseBool(key: string, value: string): boolean {
  // Go's strconv.ParseBool, which BuildKit uses for these.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new MountSpecError(`${key}=${value} is not a boolean: use true or false`);
}

/** docker/go-units RAMInBytes: `64m`, `1g`, `512KiB`, plain bytes; binary multiples. */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(i?b)?$/i.exec(value.trim());
  if (!m) throw new MountSpecError(`size=${value} is not a size such as 64m, 1g or 1048576`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** power);
}

function checkMount(m: Mount): void {
  if (m.unexpanded.includes('type')) return;
  const deferred = (key: string) => m.unexpanded.includes(key);
  if (m.type === 'secret') {
    const hasSource = m.source !== undefined || deferred('source') || deferred('src');
    const hasId = m.id !== undefined || deferred('id');
    if (!hasSource && !hasId && m.target === undefined && m.env === undefined && !deferred('target') && !deferred('env')) {
      throw new MountSpecError('a secret mount needs id=<secret id> (or target= or env=)');
    }
    if (m.source !== undefined && m.id !== undefined) {
      throw new MountSpecError('a secret mount takes either source= or id=, not both');
    }
  }
}
