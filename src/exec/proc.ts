/** Running a host tool to completion and collecting its output (mount, umount, the runtime's own commands). */
import { spawn, spawnSync } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: readonly string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // A missing binary is an answer ("not available"), not a crash: report it as exit 127 like a shell.
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err.message) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** The synchronous form, for the cleanup registry (signal handlers cannot wait for promises). */
export function runToolSync(command: string, args: readonly string[]): number {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.status ?? 1;
}
