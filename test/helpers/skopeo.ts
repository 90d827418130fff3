import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `skopeo inspect` prints, the fields the tests read. */
export interface SkopeoInspect {
  Digest: string;
  Architecture: string;
  Os: string;
  Layers: string[];
  Labels: Record<string, string> | null;
}

export function hasTool(tool: string): boolean {
  return spawnSync(tool, ['--version']).status === 0;
}

/** Runs skopeo (without a signature policy file: the tests only read local layouts) and returns its stdout. */
export async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}
