/**
 * Which bytes deflate cannot shrink: random data and data already compressed (JPEG, PNG, zip,
 * gzip, xz, most media). Deflating them is the most expensive thing a layer writer does and gains
 * nothing — 8 MiB of random bytes take 203 ms at level 6 (40 MB/s) and 17 ms as stored blocks,
 * both 100.03% of the input — so the gzip writers (pgzip.ts, member-gzip.ts) write such pieces as
 * stored deflate blocks. The stream stays one valid gzip stream for every reader.
 *
 * The judgement is a pure function of the bytes, so the same input always gives the same blob
 * (layer digests stay reproducible): the order-0 entropy of three fixed 4 KiB samples (start,
 * middle, end). Random 4 KiB samples measure 7.94–7.97 bits per byte, deflate output ≥ 7.91,
 * text 4–5, machine code 5–6.5. At 7.85 or more in all three samples, Huffman coding alone could
 * save under 2%, and only repeats within deflate's 32 KiB window could save more — which data of
 * that entropy does not have in practice.
 */

/** Pieces shorter than this are always deflated: too short to judge, too short to matter. */
export const MIN_JUDGED = 4096;
const SAMPLE = 4096;
const STORED_BITS = 7.85;

const counts = new Uint32Array(256);

/** Order-0 entropy in bits per byte of data[start, start + SAMPLE). */
function entropy(data: Uint8Array, start: number): number {
  counts.fill(0);
  for (let i = start, end = start + SAMPLE; i < end; i++) counts[data[i]!]!++;
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c > 0) sum += c * Math.log2(c);
  }
  return Math.log2(SAMPLE) - sum / SAMPLE;
}

/** Whether `data` is better stored than deflated. */
export function isIncompressible(data: Uint8Array): boolean {
  if (data.length < MIN_JUDGED) return false;
  const last = data.length - SAMPLE;
  const starts = last >= 2 * SAMPLE ? [0, (last >> 1) & ~7, last] : [0];
  return starts.every((start) => entropy(data, start) >= STORED_BITS);
}
