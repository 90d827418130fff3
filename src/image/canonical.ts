/**
 * Canonical JSON: the bytes hull hashes for configs, manifests and indexes, so the same image
 * always gets the same digest whatever order its objects were built in.
 *
 * Rules: object keys sorted by UTF-16 code units at every level (the same order as byte order
 * for the ASCII keys the specs use); no whitespace; `undefined` object members left out, as
 * JSON.stringify does; strings escaped as JSON.stringify escapes them. Values JSON cannot hold
 * exactly (undefined in an array, NaN, Infinity, bigint, functions, symbols, class instances
 * other than plain objects and arrays) are refused instead of silently becoming `null` or `{}`.
 */
import { ImageError } from './errors.js';

export function canonicalJson(value: unknown): Buffer {
  const out: string[] = [];
  write(value, out, '$');
  return Buffer.from(out.join(''), 'utf8');
}

function write(value: unknown, out: string[], path: string): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new ImageError(`canonical JSON: ${path} is ${value}, which JSON cannot represent`);
      out.push(JSON.stringify(value));
      return;
    case 'object':
      if (value === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(value)) {
        writeArray(value, out, path);
        return;
      }
      writeObject(value, out, path);
      return;
    default:
      throw new ImageError(`canonical JSON: ${path} is a ${typeof value}, which JSON cannot represent`);
  }
}

function writeArray(items: readonly unknown[], out: string[], path: string): void {
  out.push('[');
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.push(',');
    if (items[i] === undefined) throw new ImageError(`canonical JSON: ${path}[${i}] is undefined`);
    write(items[i], out, `${path}[${i}]`);
  }
  out.push(']');
}

function writeObject(value: object, out: string[], path: string): void {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new ImageError(`canonical JSON: ${path} is a ${kind}; convert it to a plain value first`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    write(record[key], out, `${path}.${key}`);
  });
  out.push('}');
}
