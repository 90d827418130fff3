import nearley from 'nearley';
import compiled, { type JsonElement } from './generated/json-array.js';
import { QuietParser } from './nearley.js';

const grammar = nearley.Grammar.fromCompiled(compiled as unknown as nearley.CompiledRules);

/** Go's encoding/json refuses deeper nesting; such text is then not JSON but shell form. */
const MAX_DEPTH = 10000;

/**
 * Parses `text` as a JSON array. Null when it is not one (the caller falls back to shell form);
 * otherwise one element per array item, null for items that are not strings.
 */
export function parseJsonArray(text: string): JsonElement[] | null {
  if (!text.startsWith('[') || nestingExceeds(text, MAX_DEPTH)) return null;
  const parser = new QuietParser(grammar);
  try {
    parser.feed(text);
  } catch {
    return null;
  }
  const results = parser.results as JsonElement[][];
  return results.length > 0 ? results[0]! : null;
}

function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}
