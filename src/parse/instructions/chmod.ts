/**
 * `--chmod` values as BuildKit (Dockerfile 1.7+) reads them: an octal mode up to 07777, or a
 * chmod(1) symbolic mode (`u+x`, `go-w`, `u=rwx,g=rx,o=`, `+X`, `go=u-w`). Symbolic modes are
 * parsed the way BuildKit's mode package (tonistiigi/dchapes-mode, BSD's setmode) does with a
 * umask of 0, which is how BuildKit applies them: a clause without `ugoa` affects all classes, and
 * `X` counts only with `+`. The result is a list of bit operations run by build/copy's applyChmod.
 */

/** One step of a symbolic mode, applied in order to each copied file's own mode. */
export type ChmodOp =
  /** Set (`+`) or clear (`-`) these bits. */
  | { op: '+' | '-'; bits: number }
  /** Set these bits when the original mode had an execute bit or the file is a directory (`+X`). */
  | { op: 'X'; bits: number }
  /** Copy one class's rwx bits (`u`, `g`, `o` as a permission) onto `to`: add, remove, or replace. */
  | { op: 'copy'; from: ChmodClass; to: ChmodClass[]; how: '+' | '-' | '=' };

export type ChmodClass = 'u' | 'g' | 'o';

export type ChmodSpec =
  | { kind: 'octal'; mode: number }
  /** `text` as written (for messages); `ops` what it does. */
  | { kind: 'symbolic'; text: string; ops: ChmodOp[] };

const SETUID = 0o4000;
const SETGID = 0o2000;
const STICKY = 0o1000;
/** Every bit but the sticky one: what `a` and a bare `=` cover (BSD's STANDARD_BITS). */
const STANDARD = 0o6777;
const OTHER = 0o0007;
const WHO = new Map<string, number>([
  ['a', STANDARD],
  ['u', SETUID | 0o700],
  ['g', SETGID | 0o070],
  ['o', OTHER],
]);
const PERM = new Map<string, number>([
  ['r', 0o444],
  ['w', 0o222],
  ['x', 0o111],
]);

/** The `--chmod` value as a spec, undefined when it is neither an octal nor a symbolic mode. */
export function parseChmod(value: string): ChmodSpec | undefined {
  if (/^[0-9]/.test(value)) {
    if (!/^[0-7]+$/.test(value)) return undefined;
    const mode = parseInt(value, 8);
    return mode <= 0o7777 ? { kind: 'octal', mode } : undefined;
  }
  const ops = parseSymbolic(value);
  return ops === undefined ? undefined : { kind: 'symbolic', text: value, ops };
}

/** The message for a `--chmod` value parseChmod refuses (parse time and after expansion). */
export function invalidChmodMessage(value: string): string {
  return `--chmod=${value} is neither an octal mode (such as 755 or 0644) nor a symbolic one (such as u+x, go-w or u=rwx,g=rx,o=)`;
}

/** Emits the operations of `op` on `perm` for the classes in `who` (0: no class written, all). */
function emit(ops: ChmodOp[], op: '+' | '-' | '=' | 'X', who: number, perm: number): void {
  if (op === '=') {
    ops.push({ op: '-', bits: who !== 0 ? who : STANDARD });
    op = '+';
  }
  ops.push({ op, bits: who !== 0 ? who & perm : perm });
}

/** The classes a copy writes to: those whose read bit `who` holds, all when no class was written. */
function classesOf(who: number): ChmodClass[] {
  if (who === 0) return ['u', 'g', 'o'];
  const out: ChmodClass[] = [];
  if (who & 0o400) out.push('u');
  if (who & 0o040) out.push('g');
  if (who & 0o004) out.push('o');
  return out;
}

/**
 * Clauses separated by ','; each is `[ugoa]*` then one or more `[+-=][rwxXstugo]*` actions
 * (`u=g-w` chains two actions on the same classes). Undefined on anything else.
 */
function parseSymbolic(s: string): ChmodOp[] | undefined {
  const ops: ChmodOp[] = [];
  let i = 0;
  for (;;) {
    let who = 0;
    for (let w = WHO.get(s[i] ?? ''); w !== undefined; w = WHO.get(s[++i] ?? '')) who |= w;
    for (;;) {
      const op = s[i++];
      if (op !== '+' && op !== '-' && op !== '=') return undefined;
      // BSD's setmode: a `=` with no permissions still clears, but only once per action
      let equalDone = false;
      who &= ~STICKY;
      let perm = 0;
      let permX = 0;
      for (;; i++) {
        const c = s[i] ?? '';
        const bits = PERM.get(c);
        if (bits !== undefined) perm |= bits;
        else if (c === 'X') {
          if (op === '+') permX = 0o111;
        } else if (c === 's' || c === 't') {
          // set-id and sticky mean nothing for "other" alone
          if (who !== 0 && (who & ~OTHER) === 0) continue;
          if (c === 's') perm |= SETUID | SETGID;
          else {
            who |= STICKY;
            perm |= STICKY;
          }
        } else if (c === 'u' || c === 'g' || c === 'o') {
          if (perm !== 0) emit(ops, op, who, perm);
          perm = 0;
          if (op === '=') equalDone = true;
          if (permX !== 0) emit(ops, 'X', who, permX);
          permX = 0;
          ops.push({ op: 'copy', from: c, to: classesOf(who), how: op });
        } else {
          if (perm !== 0 || (op === '=' && !equalDone)) emit(ops, op, who, perm);
          if (permX !== 0) emit(ops, 'X', who, permX);
          break;
        }
      }
      if (i >= s.length) return ops;
      if (s[i] === ',') break;
    }
    i++;
  }
}
