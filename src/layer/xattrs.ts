/**
 * Extended attributes. Node has no xattr API, so hull asks Debian's `attr` tools: one
 * `getfattr -R` per layer (its walk costs tens of milliseconds for 20,000 files, and a process per
 * file would cost seconds) and one `setfattr --restore` per extraction, only when some entry has
 * xattrs. Both speak getfattr's dump format; its quoting is reproduced here.
 */
import { LayerError } from '../errors.js';
import { runTool } from './subprocess.js';

export type Xattrs = Map<string, Buffer>;

/** The overlayfs namespace, in both the root (trusted.) and the rootless (user.) flavour. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

/**
 * What a layer carries: file capabilities and the trusted./user. namespaces. Overlay's own
 * attributes never travel (they become whiteouts); security.selinux and ACLs are host policy.
 */
export function isLayerXattr(name: string): boolean {
  if (isOverlayXattr(name)) return false;
  return name === 'security.capability' || name.startsWith('trusted.') || name.startsWith('user.');
}

/** getfattr's escaping: `\ooo` for backslash, control bytes and (in names) the given extras. */
export function quoteDump(bytes: Buffer, extra = ''): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x5c || b < 0x20 || b === 0x7f || extra.includes(String.fromCharCode(b))) {
      for (const c of `\\${b.toString(8).padStart(3, '0')}`) out.push(c.charCodeAt(0));
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

export function unquoteDump(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c && i + 3 < bytes.length && /^[0-7]{3}$/.test(bytes.toString('latin1', i + 1, i + 4))) {
      out.push(parseInt(bytes.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

function parseValue(text: string, line: string): Buffer {
  if (text === '""' || text === '0x') return Buffer.alloc(0);
  if (/^0x([0-9a-fA-F]{2})*$/.test(text)) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('0s')) return Buffer.from(text.slice(2), 'base64');
  throw new LayerError(`cannot parse getfattr output line '${line}'`);
}

/** Splits a byte stream into lines without decoding it (file names need not be UTF-8-clean). */
class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly onLine: (line: Buffer) => void) {}
  push(chunk: Buffer): void {
    let data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let nl: number;
    while ((nl = data.indexOf(0x0a)) >= 0) {
      this.onLine(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    this.rest = Buffer.from(data);
  }
  end(): void {
    if (this.rest.length) this.onLine(this.rest);
  }
}

/**
 * Every xattr under `dir` (symlinks not followed, their own xattrs included) that `keep` accepts,
 * keyed by path relative to `dir` ('' for `dir` itself). Only files that have some are listed.
 */
export async function readTreeXattrs(dir: string, keep: (name: string) => boolean): Promise<Map<string, Xattrs>> {
  const result = new Map<string, Xattrs>();
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  let current: Xattrs | null = null;
  let currentPath = '';
  const lines = new LineSplitter((raw) => {
    if (raw.length === 0) return;
    const head = raw.toString('latin1', 0, 8);
    if (head === '# file: ') {
      const path = unquoteDump(raw.subarray(8)).toString('utf8');
      currentPath = path === dir || path === prefix ? '' : path.startsWith(prefix) ? path.slice(prefix.length) : path;
      current = null;
      return;
    }
    const eq = raw.lastIndexOf(0x3d);
    const line = raw.toString('utf8');
    if (eq < 0) throw new LayerError(`cannot parse getfattr output line '${line}'`);
    const name = unquoteDump(raw.subarray(0, eq)).toString('utf8');
    if (!keep(name)) return;
    if (!current) {
      current = new Map();
      result.set(currentPath, current);
    }
    current.set(name, parseValue(raw.toString('latin1', eq + 1), line));
  });
  const run = await runTool('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', dir], 'attr', {
    onStdout: (chunk) => lines.push(chunk),
  });
  lines.end();
  if (run.code !== 0) throw new LayerError(`getfattr failed on ${dir} (exit ${run.code}): ${run.stderr}`);
  return result;
}

export interface XattrTarget {
  path: string;
  xattrs: Xattrs;
}

/**
 * Sets xattrs on many paths with one `setfattr -h --restore` (never following symlinks). Returns
 * the failures the filesystem cannot support (ENOTSUP) as warnings; other failures throw.
 */
export async function applyXattrs(targets: XattrTarget[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const parts: Buffer[] = [];
  for (const t of targets) {
    parts.push(Buffer.from('# file: '), quoteDump(Buffer.from(t.path, 'utf8')), Buffer.from('\n'));
    for (const [name, value] of t.xattrs) {
      parts.push(quoteDump(Buffer.from(name, 'utf8'), '='), Buffer.from(`=0x${value.toString('hex')}\n`));
    }
    parts.push(Buffer.from('\n'));
  }
  const run = await runTool('setfattr', ['-h', '--restore=-'], 'attr', { input: parts });
  if (run.code === 0) return [];
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const line of run.stderr.split('\n').filter(Boolean)) {
    (/Operation not supported/.test(line) ? warnings : errors).push(line.replace(/^setfattr: /, ''));
  }
  if (errors.length > 0 || warnings.length === 0) {
    throw new LayerError(`setting extended attributes failed: ${(errors.length ? errors : [run.stderr]).slice(0, 5).join('; ')}`);
  }
  return warnings.map((w) => `xattr not supported here, skipped: ${w}`);
}
