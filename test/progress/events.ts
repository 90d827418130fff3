// Build events for the renderer tests, on a made-up clock: `at` is milliseconds after T0.
import type { BuildEvent } from '../../src/build/events.js';

const T0 = 1_700_000_000_000;

export const at = (ms: number): number => T0 + ms;
export const start = (vertex: number, name: string, ms: number): BuildEvent => ({ kind: 'start', vertex, name, time: at(ms) });
export const log = (vertex: number, data: string, ms: number): BuildEvent => ({ kind: 'log', vertex, stream: 'stdout', data, time: at(ms) });
export const end = (vertex: number, ms: number, result: { cached?: boolean; error?: string } = {}): BuildEvent => ({ kind: 'end', vertex, time: at(ms), ...result });
export const status = (vertex: number, id: string, ms: number, fields: { text?: string; current?: number; total?: number; done?: boolean } = {}): BuildEvent => ({
  kind: 'status',
  vertex,
  id,
  text: fields.text ?? id,
  ...(fields.current !== undefined && { current: fields.current }),
  ...(fields.total !== undefined && { total: fields.total }),
  done: fields.done ?? false,
  time: at(ms),
});
