/**
 * Device nodes, FIFOs and overlay whiteouts. Node cannot mknod. Real devices are rare in layers,
 * so they go through one bash co-process running coreutils' mknod (paths travel NUL-separated on
 * its stdin as data, never through a command line). Whiteouts can be thousands per layer, so only
 * one 0/0 device is made and every whiteout is a hardlink to it, as overlayfs itself does: no
 * process per whiteout.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, unlink } from 'node:fs/promises';
import { LayerError } from '../errors.js';
import { missingTool } from './subprocess.js';

const SCRIPT = `
while IFS= read -r -d '' p && IFS= read -r -d '' t && IFS= read -r -d '' ma && IFS= read -r -d '' mi; do
  if [ "$t" = p ]; then mknod -- "$p" p; else mknod -- "$p" "$t" "$ma" "$mi"; fi && echo ok || echo err
done
`;

export type NodeKind = 'char' | 'block' | 'fifo';

export class NodeMaker {
  private child: ChildProcessWithoutNullStreams | null = null;
  private stdout = '';
  private stderr = '';
  private waiting: ((line: string) => void) | null = null;
  private failure: Error | null = null;
  /** The 0/0 device every whiteout links to (inside the root: links cannot cross filesystems). */
  private whiteoutBase: string | null = null;
  private readonly bases: string[] = [];

  /** `root`: where the shared whiteout device may live while extraction runs. */
  constructor(private readonly root: string) {}

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn('bash', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-2000);
    });
    child.stdout.on('data', (s: string) => {
      this.stdout += s;
      let nl: number;
      while ((nl = this.stdout.indexOf('\n')) >= 0) {
        const line = this.stdout.slice(0, nl);
        this.stdout = this.stdout.slice(nl + 1);
        this.answer(line);
      }
    });
    child.once('error', (err) => this.fail((err as NodeJS.ErrnoException).code === 'ENOENT' ? missingTool('bash', 'bash') : err));
    child.once('close', () => this.fail(new LayerError('the mknod helper process exited')));
    child.stdin.on('error', () => undefined);
    this.child = child;
    return child;
  }

  private answer(line: string): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(line);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.answer('');
  }

  /** Creates the node at `path` (which must not exist). Throws LayerError with mknod's message. */
  async make(path: string, kind: NodeKind, major = 0, minor = 0): Promise<void> {
    if (this.failure) throw this.failure;
    const child = this.child ?? this.start();
    const type = kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p';
    this.stderr = '';
    const line = await new Promise<string>((resolve) => {
      this.waiting = resolve;
      child.stdin.write(`${path}\0${type}\0${major}\0${minor}\0`);
    });
    if (line === 'ok') return;
    if (this.failure) throw this.failure;
    // mknod's message reaches stderr before its exit status reaches the answer line.
    await new Promise((r) => setImmediate(r));
    throw new LayerError(`mknod ${path}: ${this.stderr.trim().replace(/^mknod: /, '') || 'failed'}`);
  }

  /** An overlayfs whiteout (char 0/0) at `path`. */
  async makeWhiteout(path: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.whiteoutBase === null) {
        const base = `${this.root}/.hull-whiteout-${randomBytes(6).toString('hex')}`;
        await this.make(base, 'char', 0, 0);
        this.bases.push(base);
        this.whiteoutBase = base;
      }
      try {
        await link(this.whiteoutBase, path);
        return;
      } catch (err) {
        // Too many links to one inode: start another.
        if ((err as NodeJS.ErrnoException).code !== 'EMLINK' || attempt > 0) throw err;
        this.whiteoutBase = null;
      }
    }
  }

  /** Stops the helper and removes the shared whiteout devices (the links stay whiteouts). */
  async close(): Promise<void> {
    if (this.child) {
      this.child.removeAllListeners('close');
      this.child.stdin.end();
      this.child = null;
    }
    for (const base of this.bases.splice(0)) await unlink(base).catch(() => undefined);
    this.whiteoutBase = null;
  }
}
