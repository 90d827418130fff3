/**
 * "Did you mean" hints for misspelt keywords, flags, mount keys and stage names, using the
 * optimal-string-alignment (restricted Damerau–Levenshtein) distance so a swapped pair of
 * letters (`ENTRYPIONT`) counts as one edit.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate, compared case-insensitively, when it is close enough to be a likely
 * typo: one edit for short words, two from five letters on (more would suggest nonsense).
 */
export function suggest(value: string, candidates: readonly string[]): string | undefined {
  const v = value.toLowerCase();
  if (v === '') return undefined;
  const limit = v.length < 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(v, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean X?)` or nothing, ready to append to a message. */
export function didYouMean(value: string, candidates: readonly string[], format: (s: string) => string = (s) => s): string {
  const s = suggest(value, candidates);
  return s === undefined ? '' : ` (did you mean ${format(s)}?)`;
}
