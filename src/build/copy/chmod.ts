/**
 * `--chmod` applied to one copied file or directory, as BuildKit does: an octal mode replaces all
 * twelve permission bits; a symbolic mode runs its operations on the source's own mode (BSD
 * getmode, which BuildKit's mode package ports), `X` looking at the mode before any change.
 */
import type { ChmodClass, ChmodSpec } from '../../parse/instructions/chmod.js';

const SHIFT: Record<ChmodClass, number> = { u: 6, g: 3, o: 0 };

/** The permission bits (st_mode & 07777) a copy of a file with `current` gets. */
export function applyChmod(spec: ChmodSpec, current: number, isDirectory: boolean): number {
  if (spec.kind === 'octal') return spec.mode;
  const original = current & 0o7777;
  let mode = original;
  for (const step of spec.ops) {
    switch (step.op) {
      case '+':
        mode |= step.bits;
        break;
      case '-':
        mode &= ~step.bits;
        break;
      case 'X':
        if ((original & 0o111) !== 0 || isDirectory) mode |= step.bits;
        break;
      case 'copy': {
        const value = (mode >> SHIFT[step.from]) & 0o7;
        for (const to of step.to) {
          const shift = SHIFT[to];
          if (step.how !== '+') mode &= ~((step.how === '=' ? 0o7 : value) << shift);
          if (step.how !== '-') mode |= value << shift;
        }
        break;
      }
    }
  }
  return mode & 0o7777;
}
