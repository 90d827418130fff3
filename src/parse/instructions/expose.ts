import { HullError, ParseError, type SourcePosition } from '../../errors.js';
import { atLeastOneArgument, mayExpand, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { ExposeInstruction } from './types.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortSpec {
  start: number;
  /** Equal to `start` for a single port. */
  end: number;
  protocol: PortProtocol;
}

/**
 * Reads an expanded EXPOSE word: `80`, `80/tcp`, `53/udp`, `8000-8010/udp` (protocol case does
 * not matter; none means tcp). Throws ParseError at `at` when given, else a HullError.
 */
export function parsePortSpec(word: string, at?: SourcePosition): PortSpec {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(word);
  const bad = (why: string): never => {
    const reason = `EXPOSE ${word}: ${why}`;
    throw at ? new ParseError(reason, at) : new HullError(reason);
  };
  if (!m) bad('write a port as 80, 80/tcp, 53/udp or a range such as 8000-8010/tcp');
  const start = Number(m![1]);
  const end = m![2] === undefined ? start : Number(m![2]);
  if (start > 65535 || end > 65535) bad('a port number must be at most 65535');
  if (end < start) bad(`the range ends (${end}) before it starts (${start})`);
  const protocol = (m![3] ?? 'tcp').toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') bad(`unknown protocol "${m![3]}": use tcp, udp or sctp`);
  return { start, end, protocol: protocol as PortProtocol };
}

/** Each port of a spec as the image config keys it (`8000/tcp`, `8001/tcp`, …). */
export function portKeys(spec: PortSpec): string[] {
  const keys: string[] = [];
  for (let p = spec.start; p <= spec.end; p++) keys.push(`${p}/${spec.protocol}`);
  return keys;
}

export function parseExpose(ctx: ParseContext): ExposeInstruction {
  parseFlags(ctx, { accepted: {} });
  const ports = atLeastOneArgument(ctx, '<port>[/<protocol>]...');
  for (const p of ports) {
    // Words with `$` are checked once the graph or builder has expanded them.
    if (!mayExpand(p.value)) parsePortSpec(p.value, { file: ctx.file, ...p.range.start });
  }
  return { kind: 'expose', node: ctx.node, range: ctx.node.range, ports };
}
