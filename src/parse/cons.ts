/**
 * Immutable lists for nearley postprocessors. A postprocessor runs every time its rule
 * completes (for a list, after every item, also on paths the parse later abandons), so it must
 * be O(1) and must not mutate what another path may hold: consing onto a shared tail is both.
 * nearley's own `x:*` copies the whole list per item, which is quadratic on long flags.
 */
export type Cons<T> = { readonly item: T; readonly rest: Cons<T> } | null;

export const nil = (): null => null;

/** Postprocessor for `list -> list item`. */
export function cons<T>(d: unknown[]): Cons<T> {
  return { item: d[1] as T, rest: d[0] as Cons<T> };
}

export function toArray<T>(list: Cons<T>): T[] {
  const out: T[] = [];
  for (let c = list; c; c = c.rest) out.push(c.item);
  return out.reverse();
}
