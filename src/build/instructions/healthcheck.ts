/**
 * HEALTHCHECK: the parser already gives the Test array (`["NONE"]`, `["CMD-SHELL", line]`,
 * `["CMD", …]`) and durations in nanoseconds (BEHAVIOURS 26); the last one wins (BEHAVIOURS 23).
 */
import type { HealthConfig } from '../../image/config.js';
import type { HealthcheckInstruction } from '../../parse/instructions/types.js';
import { goHealthcheck } from './format.js';
import { metaKey, metadata, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const healthcheck: InstructionModule<HealthcheckInstruction> = {
  kind: 'healthcheck',
  apply(state, ins) {
    // Zero values are left out, as Go's omitempty does in the config JSON.
    const hc: HealthConfig = { Test: [...ins.test] };
    if (ins.interval) hc.Interval = ins.interval;
    if (ins.timeout) hc.Timeout = ins.timeout;
    if (ins.startPeriod) hc.StartPeriod = ins.startPeriod;
    if (ins.startInterval) hc.StartInterval = ins.startInterval;
    if (ins.retries) hc.Retries = ins.retries;
    return metadata(withConfig(state, { Healthcheck: hc }), `HEALTHCHECK ${goHealthcheck(hc)}`, metaKey('HEALTHCHECK', hc, state));
  },
};
