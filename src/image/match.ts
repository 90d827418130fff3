/**
 * Picking the entry of an index (manifest list) that runs on a wanted platform, with the
 * fallbacks containerd's `platforms.Only` allows: an arm64 (v8) machine runs arm64, then
 * 32-bit arm/v8, v7, v6, v5; arm/v7 runs v7, v6, v5; amd64/v3 runs v3, v2, v1, then 386.
 */
import { PlatformMismatchError } from './errors.js';
import { formatPlatform, normalizePlatform, platformFromOci, type OciPlatform, type Platform } from './platform.js';

/** The platforms `wanted` can run, best first (the first one is `wanted` itself, normalised). */
export function compatiblePlatforms(wanted: Platform): Platform[] {
  const p = normalizePlatform(wanted);
  const os = p.os;
  const out: Platform[] = [p];
  const level = variantLevel(p.variant);
  switch (p.architecture) {
    case 'amd64':
      for (let v = (level ?? 1) - 1; v >= 1; v--) out.push(v === 1 ? { os, architecture: 'amd64' } : { os, architecture: 'amd64', variant: `v${v}` });
      out.push({ os, architecture: '386' });
      break;
    case 'arm64': {
      // arm64/v9 and later still run v8 code, and every arm64 core of the v8 family can run 32-bit arm.
      const start = level === undefined ? 7 : p.variant === `v${level}` ? level - 1 : level;
      for (let v = start; v >= 8; v--) out.push(v === 8 ? { os, architecture: 'arm64' } : { os, architecture: 'arm64', variant: `v${v}` });
      for (let v = 8; v >= 5; v--) out.push({ os, architecture: 'arm', variant: `v${v}` });
      break;
    }
    case 'arm':
      for (let v = (level ?? 7) - 1; v >= 5; v--) out.push({ os, architecture: 'arm', variant: `v${v}` });
      break;
  }
  return out;
}

function variantLevel(variant: string | undefined): number | undefined {
  const m = variant === undefined ? null : /^v(\d+)/.exec(variant);
  return m ? Number(m[1]) : undefined;
}

export interface MatchOptions {
  /** Accept only the wanted platform itself (after normalisation), no fallback. */
  strict?: boolean;
}

/**
 * How well `candidate` fits `wanted`: 0 is an exact match, higher is a further fallback,
 * undefined is no match.
 */
export function platformRank(wanted: Platform, candidate: Platform, options: MatchOptions = {}): number | undefined {
  const c = normalizePlatform(candidate);
  const vector = options.strict ? [normalizePlatform(wanted)] : compatiblePlatforms(wanted);
  const i = vector.findIndex((v) => v.os === c.os && v.architecture === c.architecture && v.variant === c.variant);
  return i < 0 ? undefined : i;
}

/** An index entry: anything with an optional OCI platform. */
export interface HasPlatform {
  platform?: OciPlatform;
}

/**
 * The best entry for `wanted` (ties go to the first listed, as registries order by
 * preference); throws PlatformMismatchError listing what the index offers.
 */
export function selectPlatform<T extends HasPlatform>(entries: readonly T[], wanted: Platform, options: MatchOptions = {}): T {
  let best: T | undefined;
  let bestRank = Infinity;
  for (const entry of entries) {
    if (!entry.platform || !isRunnable(entry.platform)) continue;
    const rank = platformRank(wanted, platformFromOci(entry.platform), options);
    if (rank !== undefined && rank < bestRank) {
      best = entry;
      bestRank = rank;
    }
  }
  if (best) return best;
  throw new PlatformMismatchError(formatPlatform(normalizePlatform(wanted)), availablePlatforms(entries));
}

/** The distinct platforms an index offers, formatted, in index order (attestations left out). */
export function availablePlatforms(entries: readonly HasPlatform[]): string[] {
  const seen = new Set<string>();
  for (const e of entries) if (e.platform && isRunnable(e.platform)) seen.add(formatPlatform(platformFromOci(e.platform)));
  return [...seen];
}

/** BuildKit lists provenance/SBOM attestation manifests as `unknown/unknown`. */
function isRunnable(p: OciPlatform): boolean {
  return !(p.os === 'unknown' && p.architecture === 'unknown');
}
