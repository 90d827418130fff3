export { openContext, type BuildContext } from './context.js';
export { BadPatternError, ContextError, SourceError } from './errors.js';
export { IgnorePattern, PatternMatcher, matchesOrParentMatches, readDockerignore, type IgnoreState, type MatchType } from './dockerignore.js';
export { goMatch, hasWildcards } from './gomatch.js';
export { digestEntries, hashEntry, hashFile, hashStream, type DigestInput, type HashResult } from './hash.js';
export { resolveSource, resolveSources, type ResolveOptions, type ResolvedSource } from './sources.js';
export { MemoryStatCache, isFresh, isRacy, type SerializedStatCache, type StatCache, type StatRecord } from './stat-cache.js';
export { statEntry, walkContext, type ContextEntry, type EntryType, type WalkOptions } from './walk.js';
