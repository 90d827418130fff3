/**
 * Go's `time.ParseDuration`, which Docker uses for HEALTHCHECK flags: a sign, then one or more
 * decimal numbers each with a unit (`1h30m`, `1.5s`, `300ms`), or a bare `0`.
 */
const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;
const component = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Nanoseconds, or undefined when `text` is not a Go duration (or overflows int64). */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0n;
  let pos = 0;
  while (pos < rest.length) {
    component.lastIndex = pos;
    const m = component.exec(rest);
    if (!m) return undefined;
    const whole = m[1]!;
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const unit = UNITS[m[3]!]!;
    let ns = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== undefined && frac !== '') {
      // Truncates like Go: the fraction contributes floor(frac * unit / 10^digits).
      ns += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += ns;
    if (total > MAX_NS) return undefined;
    pos = component.lastIndex;
  }
  return Number(negative ? -total : total);
}

/** A duration in nanoseconds written back the way Go's `Duration.String` would (`1m30s`). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1_000) return `${sign}${n}ns`;
  if (n < 1_000_000) return `${sign}${trimZeros(n / 1_000)}µs`;
  if (n < 1_000_000_000) return `${sign}${trimZeros(n / 1_000_000)}ms`;
  let out = '';
  const h = Math.floor(n / 3_600_000_000_000);
  n -= h * 3_600_000_000_000;
  const m = Math.floor(n / 60_000_000_000);
  n -= m * 60_000_000_000;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${trimZeros(n / 1_000_000_000)}s`;
  return sign + out;
}

function trimZeros(x: number): string {
  return String(Number(x.toFixed(9)));
}
