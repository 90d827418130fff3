// Compiles every grammar/*.ne with nearley into src/parse/generated/*.ts (generated, never edited
// by hand, not committed). Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'src', 'parse', 'generated');
const nearleyc = createRequire(import.meta.url).resolve('nearley/bin/nearleyc.js');
mkdirSync(out, { recursive: true });
for (const file of readdirSync(here).filter((f) => f.endsWith('.ne'))) {
  const target = join(out, file.replace(/\.ne$/, '.ts'));
  execFileSync(process.execPath, [nearleyc, join(here, file), '-o', target], { stdio: 'inherit' });
}
