/**
 * PAX extended header records (`"<len> <key>=<value>\n"`), kept as bytes: `SCHILY.xattr.*`
 * values are binary and must survive unchanged.
 */
import { LayerError } from '../../errors.js';

/** Records sorted by key, so the same map always encodes to the same bytes. */
export function encodePaxRecords(records: Map<string, Buffer>): Buffer {
  const keys = [...records.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const parts: Buffer[] = [];
  for (const key of keys) {
    const value = records.get(key)!;
    const body = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
    let len = body + String(body).length;
    if (String(len).length !== String(body).length) len = body + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Parses a PAX header's data; later records win, as in every reader. */
export function decodePaxRecords(data: Buffer, entry: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // some writers pad the data with NULs
    const space = data.indexOf(0x20, at);
    if (space < 0 || space - at > 20) throw new LayerError('malformed PAX record (no length)', entry);
    const lenText = data.toString('latin1', at, space);
    if (!/^[0-9]+$/.test(lenText)) throw new LayerError(`malformed PAX record length '${lenText}'`, entry);
    const len = Number(lenText);
    const end = at + len;
    if (len < 5 || end > data.length || data[end - 1] !== 0x0a) {
      throw new LayerError('malformed PAX record (bad length)', entry);
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end - 1) throw new LayerError('malformed PAX record (no "=")', entry);
    const key = data.toString('utf8', space + 1, eq);
    out.set(key, Buffer.from(data.subarray(eq + 1, end - 1)));
    at = end;
  }
  return out;
}

/** A decimal PAX value (size, uid, gid; mtime may carry a fraction, which is dropped). */
export function paxNumber(value: Buffer, key: string, entry: string): number {
  const text = value.toString('latin1');
  const m = /^(-?[0-9]+)(\.[0-9]*)?$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n) || (key !== 'mtime' && n < 0)) {
    throw new LayerError(`malformed PAX ${key} '${text}'`, entry);
  }
  return n;
}
