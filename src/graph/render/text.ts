import { formatPlatform } from '../../image/platform.js';
import type { BuildGraph, Dependency } from '../types.js';
import { depLabel, fromText, stageLabel, stepText } from './common.js';

/** One block per stage, for `hull graph` on a terminal. */
export function renderText(graph: BuildGraph): string {
  const out: string[] = [];
  const target = graph.stages[graph.target]!;
  const count = graph.stages.length;
  const built = graph.stages.filter((s) => s.used).length;
  out.push(
    `${graph.file}: ${count} stage${count === 1 ? '' : 's'}, ${built} to build for target ${stageLabel(target)}, platform ${formatPlatform(graph.platform)}`,
  );
  if (graph.globalArgs.length > 0) {
    out.push('', 'global ARGs:');
    for (const line of graph.globalArgs) {
      for (const a of line.args) {
        const value = graph.globalArgValues.get(a.name);
        out.push(`  ${String(line.range.start.line).padStart(4)}  ${a.name}${value === undefined ? ' (unset)' : `=${value}`}`);
      }
    }
  }
  for (const stage of graph.stages) {
    const marks = [stage.isTarget ? 'target' : '', stage.used ? '' : 'not built: the target does not need it'].filter(Boolean);
    out.push('', `${stageLabel(stage)}  (line ${stage.from.range.start.line})${marks.length > 0 ? `  [${marks.join('; ')}]` : ''}`);
    out.push(`  ${fromText(stage)}`);
    out.push(`  base:     ${baseText(graph, stage.base)}`);
    if (stage.platform) out.push(`  platform: ${stage.platform}`);
    if (stage.steps.length > 0) {
      out.push('  steps:');
      for (const step of stage.steps) out.push(`    ${String(step.line).padStart(4)}  ${stepText(step)}`);
    }
    const needs = stage.deps.filter((d) => d.kind !== 'from');
    if (needs.length > 0) {
      out.push('  needs:');
      for (const d of needs) out.push(`    ${String(d.at.line).padStart(4)}  ${depTarget(graph, d)} (${depLabel(d)})`);
    }
  }
  out.push('', `build order: ${graph.buildOrder.map((i) => graph.stages[i]!.id).join(', ')}`);
  if (graph.warnings.length > 0) {
    out.push('', 'warnings:');
    for (const w of graph.warnings) out.push(`  ${w.at ? `${w.at.file}:${w.at.line}:${w.at.column}: ` : ''}${w.message}`);
  }
  return `${out.join('\n')}\n`;
}

function baseText(graph: BuildGraph, base: BuildGraph['stages'][number]['base']): string {
  switch (base.kind) {
    case 'scratch':
      return 'scratch (empty)';
    case 'stage':
      return stageLabel(graph.stages[base.stage]!);
    case 'image':
      return `image ${base.ref}`;
  }
}

function depTarget(graph: BuildGraph, d: Dependency): string {
  return d.stage !== undefined ? stageLabel(graph.stages[d.stage]!) : `image ${d.image ?? ''}`;
}
