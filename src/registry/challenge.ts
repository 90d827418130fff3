/**
 * `WWW-Authenticate` challenges (RFC 7235): `Basic realm="x"`, `Bearer realm="…",service="…",
 * scope="repository:a:pull,push"`. Parsed by hand because parameter values are quoted strings
 * that may hold commas, escaped quotes and `=`, and one header may carry several challenges.
 */

export interface Challenge {
  /** Lowercased: `basic`, `bearer`. */
  scheme: string;
  /** Parameter names lowercased; values unquoted and unescaped. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Every challenge in one or more `WWW-Authenticate` header values; malformed parts are skipped. */
export function parseChallenges(headers: string | readonly string[] | undefined): Challenge[] {
  if (headers === undefined) return [];
  const values = typeof headers === 'string' ? [headers] : headers;
  return values.flatMap(parseOne);
}

function parseOne(text: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const word = readToken();
    if (word === '') {
      i++; // A stray character: skip it rather than give up on the rest.
      continue;
    }
    skipSpace();
    if (text[i] === '=' && current !== undefined && !isToken68End(text, i)) {
      i++;
      skipSpace();
      current.params[word.toLowerCase()] = text[i] === '"' ? readQuoted() : readToken();
      continue;
    }
    // A new challenge: a scheme, optionally followed by a token68 (`Basic dXNlcg==`) we keep nowhere.
    i = start + word.length;
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
    skipSpace();
    const afterScheme = i;
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(text.slice(i));
    if (t68 && !/^\s*=[^=]/.test(text.slice(i + t68[0].replace(/=+$/, '').length)) && /^\s*(,|$)/.test(text.slice(i + t68[0].length))) {
      i += t68[0].length;
    } else {
      i = afterScheme;
    }
  }
  return out;

  function readQuoted(): string {
    i++; // the opening quote
    let value = '';
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < n) i++;
      value += text[i];
      i++;
    }
    i++; // the closing quote (or the end of an unterminated string)
    return value;
  }
}

/** `a=b` is a parameter; `abc==` (a token68 ending in padding) is not. */
function isToken68End(text: string, at: number): boolean {
  return text[at + 1] === '=';
}

/** The first challenge of a scheme, if the registry offered it. */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme);
}
