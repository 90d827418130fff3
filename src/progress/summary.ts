/**
 * What buildx prints once the progress is over, after plain and tty output alike: the last log
 * lines of each failed step, so the cause stands next to the error, and the warnings again, so
 * they are not lost in a long log.
 */
import type { BuildWarning } from '../build/events.js';
import { logOffset } from './format.js';
import type { BuildState } from './state.js';

/** `message (Dockerfile:5)`. */
export function warningText(warning: BuildWarning): string {
  return warning.location === undefined ? warning.message : `${warning.message} (${warning.location})`;
}

/** `------`, ` > [stage-1 3/3] RUN false:`, its last lines, `------` for each failed vertex. */
export function errorLogs(state: BuildState): string {
  let out = '';
  for (const vertex of state.vertices.values()) {
    if (vertex.error === undefined) continue;
    out += `------\n > ${vertex.name}:\n`;
    for (const line of vertex.recent) out += `${logOffset(line.offset)} ${line.text}\n`;
    out += '------\n';
  }
  return out;
}

/** ` 2 warnings found:` and one ` - ` line each, after a blank line; nothing without warnings. */
export function warningSummary(warnings: readonly BuildWarning[]): string {
  if (warnings.length === 0) return '';
  let out = `\n ${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'} found:\n`;
  for (const warning of warnings) out += ` - ${warningText(warning)}\n`;
  return out;
}
