/**
 * Running a test's helper script in a child Node process, from the TypeScript sources (under
 * tsx, while developing) or from the compiled dist/ (under `npm test`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './paths.js';

/** `script` is a path relative to the calling module, without extension (`./worker`). */
export function spawnScript(callerUrl: string, script: string, args: readonly string[]): ChildProcess {
  const ts = fileURLToPath(new URL(`${script}.ts`, callerUrl));
  const js = fileURLToPath(new URL(`${script}.js`, callerUrl));
  const fromSource = callerUrl.endsWith('.ts') && existsSync(ts);
  const argv = fromSource ? ['--import', 'tsx', ts, ...args] : [js, ...args];
  return spawn(process.execPath, argv, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the exit code and signal once the child has exited and been reaped. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Collects a child's stderr, for failure messages. */
export function stderrOf(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

/** Resolves when the child prints `line` on stdout. */
export function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      if (buffered.split('\n').includes(line)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before printing "${line}"`)));
  });
}
