/** STOPSIGNAL: expanded and checked as moby's signal.ParseSignal does; stored as written. */
import { GraphError } from '../../errors.js';
import type { StopsignalInstruction } from '../../parse/instructions/types.js';
import { at, expandWord, metaKey, metadata, scope, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

/** Linux signal names without `SIG` (moby's SignalMap for Linux). */
const NAMES = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL',
  'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1',
  'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);

/** A signal name (`SIGTERM`, `term`, `RTMIN+3`) or a non-zero number, as Docker accepts. */
export function isValidSignal(value: string): boolean {
  // Go's strconv.Atoi: an optional sign and decimal digits; Docker only refuses 0.
  if (/^[+-]?\d+$/.test(value)) return Number(value) !== 0;
  const upper = value.toUpperCase();
  return NAMES.has(upper.startsWith('SIG') ? upper.slice(3) : upper);
}

export const stopsignal: InstructionModule<StopsignalInstruction> = {
  kind: 'stopsignal',
  apply(state, ins, ctx) {
    const signal = expandWord(ctx, ins.signal, scope(state));
    if (!isValidSignal(signal)) {
      throw new GraphError(`STOPSIGNAL ${signal} is not a signal: use a name such as SIGTERM or a number such as 15`, at(ctx, ins.signal));
    }
    return metadata(withConfig(state, { StopSignal: signal }), `STOPSIGNAL ${signal}`, metaKey('STOPSIGNAL', signal, state));
  },
};
