import { ShellLex, ShellExpansionError, type ShellEnv } from './shell/lex.js';

/** A heredoc marker found on an instruction line; the body is read afterwards. */
export interface HeredocMarker {
  name: string;
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}

const MARKER = /^(\d*)<<(-?)([^<]*)$/;
const BARE_OPERATOR = /^(\d*)<<(-?)$/;
const NO_ENV: ShellEnv = new Map();
// Heredoc markers are read with `\` as escape whatever the escape directive says, as BuildKit does.
const lineWords = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
const cooked = new ShellLex({ skipUnsetEnv: true });
const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true });

/** The heredoc markers (`<<EOF`, `<<-'EOF'`, `3<<EOF` …) among the words of `line`, in order. */
export function heredocMarkers(line: string): HeredocMarker[] {
  // Splitting a long line into shell words is costly; a marker cannot exist without `<<`.
  if (!line.includes('<<')) return [];
  let words: string[];
  try {
    words = lineWords.processWords(line, NO_ENV);
  } catch (err) {
    // A line the shell lexer cannot split (an unbalanced quote) has no heredocs.
    if (err instanceof ShellExpansionError) return [];
    throw err;
  }
  const markers: HeredocMarker[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    // `<< EOF` and `<<- EOF`: the name may stand apart from the operator.
    const bare = BARE_OPERATOR.exec(word);
    const marker =
      bare && i + 1 < words.length ? markerFrom(bare[1]!, bare[2]!, words[++i]!) : parseHeredocMarker(word);
    if (marker) markers.push(marker);
  }
  return markers;
}

/**
 * One word as a heredoc marker: null when it is not one, a ShellExpansionError when its quotes
 * do not balance. The body is expanded unless some part of the name was quoted.
 */
export function parseHeredocMarker(word: string): HeredocMarker | null {
  const match = MARKER.exec(word);
  return match ? markerFrom(match[1]!, match[2]!, match[3]!) : null;
}

function markerFrom(fd: string, dash: string, rest: string): HeredocMarker | null {
  if (rest === '' || rest.includes('<')) return null;
  const names = cooked.processWords(rest, NO_ENV);
  if (names.length !== 1) return null;
  const rawNames = raw.processWords(rest, NO_ENV);
  const name = names[0]!;
  return {
    name,
    expand: quoteCount(name) === quoteCount(rawNames[0] ?? ''),
    chomp: dash === '-',
    fileDescriptor: fd === '' ? 0 : Number(fd),
  };
}

function quoteCount(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '"' || ch === "'") n++;
  return n;
}

/** `<<-` bodies lose the leading tabs of every line. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}
