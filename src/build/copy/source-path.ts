/**
 * Paths of a resolved COPY source as the Dockerfile names it rather than as the filesystem
 * resolved it: what `--parents` keeps below its pivot, and what `--exclude` matches a wildcard's
 * matches against. resolveSource follows symlinks, so its `path` is the real one; these keep the
 * names written (and matched), which is what BuildKit walks.
 */
import { SourceError } from '../../context/errors.js';
import { hasWildcards } from '../../context/gomatch.js';
import { cleanPath } from '../../context/gopath.js';
import type { ResolvedSource } from '../../context/sources.js';

/** A path as resolveSource reads it: a leading '/' means the root, then Go-cleaned; '.' has no components. */
function components(path: string): string[] {
  const cleaned = cleanPath(path.replace(/^\/+/, '') || '.');
  return cleaned === '.' ? [] : cleaned.split('/');
}

/**
 * The source's path with every wildcard component replaced by the name it matched (the last one
 * is the match's own name, a followed link's name included). A wildcard directory reached through
 * a symlink can only be named by the real directory it led to.
 */
function matchedParts(rs: ResolvedSource): string[] {
  const written = components(rs.source);
  if (!hasWildcards(written.join('/'))) return written;
  const real = rs.path === '.' ? [] : rs.path.split('/');
  const dirs = written.slice(0, -1).map((part, i) => (hasWildcards(part) ? real[i] : part));
  const name = rs.name === '.' ? [] : [rs.name];
  if (dirs.every((d): d is string => d !== undefined)) return [...dirs, ...name];
  return [...real.slice(0, -1), ...name];
}

/** `--parents`: where the kept path starts in the source root, and the path kept below it. */
export interface KeptPath {
  /** The pivot, cleaned ('' for the root). */
  pivot: string;
  /** The source's matched path below the pivot; '' when the source is the pivot itself. */
  path: string;
}

/**
 * `--parents`: the pivot is the part before the first `/./` in the source as written (BuildKit
 * cuts there), else the root; the source keeps its matched path below it.
 */
export function keptPath(rs: ResolvedSource, instruction: string): KeptPath {
  const cut = rs.source.indexOf('/./');
  const pivot = cut < 0 ? '' : rs.source.slice(0, cut);
  const below = cut < 0 ? rs.source : rs.source.slice(cut + 3);
  const climbs = cleanPath(below);
  if (climbs === '..' || climbs.startsWith('../')) {
    throw new SourceError(`${instruction} --parents failed: ${rs.source} climbs above its /./ pivot`, rs.source);
  }
  const pivotParts = components(pivot);
  return { pivot: pivotParts.join('/'), path: matchedParts(rs).slice(pivotParts.length).join('/') };
}

/**
 * For a source with wildcards: its match's path below the directory the wildcards start in (the
 * match's name when only the last component has them), which `--exclude` patterns are matched
 * against; undefined for a source without wildcards, whose named files are never excluded.
 */
export function wildcardMatchPath(rs: ResolvedSource): string | undefined {
  const written = components(rs.source);
  const first = written.findIndex((part) => hasWildcards(part));
  if (first < 0) return undefined;
  return matchedParts(rs).slice(first).join('/');
}
