/**
 * Character classes as Go's `unicode` package defines them, because BuildKit decides what is a
 * variable name and where words split with those functions, not with ASCII rules.
 * Every function takes one code point as a string (one or two UTF-16 units).
 */

const LETTER = /^\p{L}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
// Go's unicode.IsSpace is exactly the Unicode White_Space property; JS `\s` differs (it has
// U+FEFF and lacks U+0085), so the property escape is used instead.
const WHITE_SPACE = /^\p{White_Space}$/u;

/** unicode.IsLetter */
export function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return LETTER.test(ch);
}

/** unicode.IsDigit (any decimal digit, not only 0-9) */
export function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return DECIMAL_DIGIT.test(ch);
}

/** unicode.IsSpace */
export function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return WHITE_SPACE.test(ch);
}

/** A character that may continue a variable name (and a Go regexp template group name). */
export function isNameChar(ch: string): boolean {
  return ch === '_' || isLetter(ch) || isDigit(ch);
}

/** The code point starting at `index` of `s` as a string; '' past the end. */
export function codePointAt(s: string, index: number): string {
  if (index >= s.length) return '';
  const c = s.charCodeAt(index);
  if (c >= 0xd800 && c <= 0xdbff && index + 1 < s.length) {
    const d = s.charCodeAt(index + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return s.slice(index, index + 2);
  }
  return s[index] as string;
}
