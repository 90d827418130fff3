/**
 * Go's `fmt` renderings BuildKit uses in `created_by` (`CMD %q`, `VOLUME %v`, `HEALTHCHECK %+v`):
 * `docker history` shows these strings, so hull must write the same bytes.
 */
import { formatGoDuration } from '../../parse/instructions/duration.js';
import type { HealthConfig } from '../../image/config.js';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"',
};

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** `strconv.Quote`: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) out += simple;
    else if (PRINTABLE.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/** `%q` of a `[]string`: `["sh" "-c" "echo hi"]`. */
export function goQuotedList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** `%v` of a `[]string`: `[/data /logs]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** `%+v` of BuildKit's HealthcheckConfig, zero fields included. */
export function goHealthcheck(h: HealthConfig): string {
  const d = (ns: number | undefined): string => formatGoDuration(ns ?? 0);
  return (
    `{Test:${goList(h.Test ?? [])} Interval:${d(h.Interval)} Timeout:${d(h.Timeout)} ` +
    `StartPeriod:${d(h.StartPeriod)} StartInterval:${d(h.StartInterval)} Retries:${h.Retries ?? 0}}`
  );
}
