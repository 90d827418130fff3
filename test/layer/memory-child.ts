// Run by memory.test.ts in its own process, so that its peak RSS is this work's alone.
//   memory-child <pack|extract|idle> SRC OUT [gzip|zstd|none]
// Without arguments (node --test picks up every file under test/) it does nothing.
import { createReadStream, createWriteStream } from 'node:fs';
import { extractLayer, writeLayer, type Compression } from '../../src/layer/index.js';

const [mode, src, out, compression] = process.argv.slice(2);
let result: unknown = null;
if (mode === 'pack') result = await writeLayer(src!, createWriteStream(out!), { compression: (compression ?? 'gzip') as Compression });
else if (mode === 'extract') result = await extractLayer(createReadStream(src!), out!);
if (mode) process.stdout.write(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS * 1024, result }));
