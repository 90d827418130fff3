// Bundles the compiled CLI (dist/src/cli/process.js and everything it imports) into one module,
// dist/src/cli/hull.mjs, which bin/hull runs. Loading ~200 modules one by one was most of the
// time a cached build took (~0.5 s of a 0.55 s run); one file loads in a fraction of that.
// undici stays outside, loaded on the first registry request (src/registry/undici.ts).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/process.js'],
  outfile: 'dist/src/cli/hull.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['undici'],
  // Same directory as process.js: paths made from import.meta.url (package.json, undici) still resolve.
  // CommonJS dependencies (moo, nearley) call require, which an ES module lacks.
  banner: { js: "import { createRequire as hullCreateRequire } from 'node:module'; const require = hullCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
