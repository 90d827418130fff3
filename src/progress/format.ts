/**
 * The numbers of buildx's progress output, written the way buildx writes them so that a hull log
 * reads like a docker log: durations to a tenth, log offsets with fewer decimals as a step runs on,
 * transfer sizes in decimal units with two decimals.
 */

/** `1.3s`: how long a step or a sub-task took. */
export function duration(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** `0.352`, `12.40`, `181.2`: seconds into a step, in front of its log lines; the column stays narrow as a step runs on. */
export function logOffset(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return seconds.toFixed(seconds < 10 ? 3 : seconds < 100 ? 2 : 1);
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * `512B`, `3.20MB`. Not cli/image.ts's humanSize, which drops trailing zeros (`3.2MB`, docker's
 * listing style): buildx prints transfer sizes with exactly two decimals.
 */
export function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${n}B` : `${value.toFixed(2)}${UNITS[unit]}`;
}

/** `1.05MB / 3.20MB` when the total is known, `1.05MB` when only the count is, else nothing. */
export function sizes(current: number | undefined, total: number | undefined): string {
  if (total !== undefined && total > 0) return `${bytes(current ?? 0)} / ${bytes(total)}`;
  return current ? bytes(current) : '';
}
