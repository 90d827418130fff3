import { fail, type ParseContext } from './common.js';
import { formatGoDuration } from './duration.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import type { HealthcheckInstruction } from './types.js';

/** Docker's container.MinimumDuration: shorter (but non-zero) intervals are refused. */
const MIN_DURATION_NS = 1_000_000;

const DURATIONS = [
  ['interval', 'interval'],
  ['timeout', 'timeout'],
  ['start-period', 'startPeriod'],
  ['start-interval', 'startInterval'],
] as const;

export function parseHealthcheck(ctx: ParseContext): HealthcheckInstruction {
  const { node } = ctx;
  const args = node.args;
  if (args.length === 0 || args[0]!.value === '') {
    fail(ctx, node.range.start, 'HEALTHCHECK requires at least one argument: HEALTHCHECK [options] CMD <command>, or HEALTHCHECK NONE');
  }
  const typeWord = args[0]!;
  const type = typeWord.value.toUpperCase();
  const base = { kind: 'healthcheck' as const, node, range: node.range };

  if (type === 'NONE') {
    if (args.length > 1) fail(ctx, args[1]!.range.start, 'HEALTHCHECK NONE takes no arguments');
    if (node.flags.length > 0) {
      fail(ctx, node.flags[0]!.range.start, `HEALTHCHECK NONE takes no options, but ${node.flags[0]!.raw} was given`);
    }
    return { ...base, test: ['NONE'] };
  }

  const flags = parseFlags(ctx, {
    accepted: { interval: 'duration', timeout: 'duration', 'start-period': 'duration', 'start-interval': 'duration', retries: 'int' },
  });
  if (type !== 'CMD') {
    fail(ctx, typeWord.range.start, `unknown HEALTHCHECK type "${typeWord.value}": use HEALTHCHECK CMD <command> or HEALTHCHECK NONE`);
  }
  const cmd = args.slice(1).map((a) => a.value);
  if (cmd.length === 0 || (!node.json && cmd.join('').trim() === '')) {
    fail(ctx, typeWord.range.end, 'HEALTHCHECK CMD needs a command to run');
  }
  const hc: HealthcheckInstruction = {
    ...base,
    test: node.json ? ['CMD', ...cmd] : ['CMD-SHELL', cmd.join(' ')],
  };
  for (const [flag, field] of DURATIONS) {
    const ns = checkedDuration(ctx, flags, flag);
    if (ns !== undefined) hc[field] = ns;
  }
  const retries = flags.number('retries');
  if (retries !== undefined) {
    if (retries < 0) fail(ctx, flags.range('retries')!.start, `--retries cannot be negative (${retries})`);
    hc.retries = retries;
  }
  return hc;
}

function checkedDuration(ctx: ParseContext, flags: ParsedFlags, name: string): number | undefined {
  const ns = flags.number(name);
  if (ns === undefined) return undefined;
  // Zero means "Docker's default", as in the engine; anything else must reach the minimum.
  if (ns !== 0 && ns < MIN_DURATION_NS) {
    const shown = formatGoDuration(ns);
    const why = ns < 0 ? 'is negative' : 'is shorter than the minimum of 1ms';
    fail(ctx, flags.range(name)!.start, `--${name}=${shown} ${why}; give a duration of at least 1ms (or 0 for the default)`);
  }
  return ns;
}
