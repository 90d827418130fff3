/**
 * Helper processes (zstd, getfattr, setfattr, mknod): a missing binary becomes a LayerError that
 * names the Debian package to install, and a failing one carries its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { LayerError } from '../errors.js';

const STDERR_KEEP = 4096;

export function missingTool(tool: string, pkg: string): LayerError {
  return new LayerError(`${tool} not found: install the Debian package '${pkg}' (apt-get install ${pkg})`);
}

function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Keeps the tail of a child's stderr for error messages. */
function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    text = (text + s).slice(-STDERR_KEEP);
  });
  return () => text.trim();
}

/**
 * A child process as a Duplex: bytes written go to its stdin, its stdout is read back, with
 * backpressure both ways. Errors if it cannot start or exits non-zero.
 */
export class ProcessStream extends Duplex {
  private readonly child: ChildProcess;
  private readonly stderr: () => string;
  private readonly exited: Promise<number | null>;

  constructor(tool: string, args: string[], pkg: string) {
    super();
    this.child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = collectStderr(this.child);
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    this.child.once('error', (err) => this.destroy(isEnoent(err) ? missingTool(tool, pkg) : err));
    // EPIPE on stdin means the tool died; its exit status explains why, so wait for that instead.
    this.child.stdin!.on('error', () => undefined);
    const out = this.child.stdout!;
    out.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) out.pause();
    });
    out.once('end', () => {
      void this.exited.then((code) => {
        if (code === 0) this.push(null);
        else this.destroy(new LayerError(`${tool} failed (exit ${code}): ${this.stderr() || 'no message'}`));
      });
    });
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.child.stdin!.write(chunk, (err) => callback(err ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin!.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    callback(err);
  }
}

export interface RunResult {
  code: number;
  stderr: string;
}

/**
 * Runs a tool to completion, feeding `input` to stdin and handing stdout chunks to `onStdout` as
 * they arrive (so large outputs are parsed as a stream, never held whole).
 */
export function runTool(
  tool: string,
  args: string[],
  pkg: string,
  options: { input?: Buffer | Iterable<Buffer>; onStdout?: (chunk: Buffer) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = collectStderr(child);
    child.once('error', (err) => reject(isEnoent(err) ? missingTool(tool, pkg) : err));
    child.stdout!.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
    child.stdin!.on('error', () => undefined);
    child.once('close', (code) => resolve({ code: code ?? -1, stderr: stderr() }));
    const input = options.input;
    if (input === undefined) child.stdin!.end();
    else if (Buffer.isBuffer(input)) child.stdin!.end(input);
    else void feed(child, input);
  });
}

async function feed(child: ChildProcess, input: Iterable<Buffer>): Promise<void> {
  const stdin = child.stdin!;
  for (const chunk of input) {
    if (!stdin.write(chunk)) await new Promise<void>((r) => stdin.once('drain', () => r()).once('close', () => r()));
    if (stdin.destroyed) return;
  }
  stdin.end();
}
