import { cleanPath } from './gopath.js';

/** The `.dockerignore` file reader, as moby/patternmatcher's ignorefile.ReadAll. */

/** The code points Go's unicode.IsSpace accepts. */
const GO_SPACES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);

function isGoSpace(code: number): boolean {
  return GO_SPACES.has(code) || (code >= 0x2000 && code <= 0x200a);
}

/** Go's strings.TrimSpace: unlike String#trim it keeps U+FEFF. A plain scan, so linear on any line. */
export function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** ignorefile.ReadAll: the text of a `.dockerignore` (null when absent) → its pattern list. */
export function readDockerignore(content: string | null): string[] {
  if (content === null) return [];
  const text = content.startsWith('\ufeff') ? content.slice(1) : content;
  const out: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    // a comment is recognised before trimming, so "  # x" is a pattern (as upstream)
    if (line.startsWith('#')) continue;
    let pattern = goTrimSpace(line);
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? '!' + pattern : pattern);
  }
  return out;
}
