import type { BuildGraph, Stage } from '../types.js';
import { depLabel, fromText, imageIndex, stageLabel, stepText } from './common.js';

/** Mermaid `flowchart`: a subgraph per stage; stages the target does not need are grey. */
export function renderMermaid(graph: BuildGraph): string {
  const images = imageIndex(graph);
  const lines = ['flowchart TB'];
  const unused: string[] = [];
  for (const stage of graph.stages) {
    const title = `${stageLabel(stage)}${stage.platform ? ` [${stage.platform}]` : ''}${stage.isTarget ? ' (target)' : ''}${stage.used ? '' : ' (not built)'}`;
    lines.push(`  subgraph stage${stage.index}["${escape(title)}"]`, '    direction TB');
    lines.push(`    s${stage.index}["${escape(`${stage.from.range.start.line}: ${fromText(stage, 60)}`)}"]`);
    let prev = `s${stage.index}`;
    for (const step of stage.steps) {
      const id = `s${stage.index}_${step.index}`;
      lines.push(`    ${id}["${escape(`${step.line}: ${stepText(step, 60)}`)}"]`);
      lines.push(`    ${prev} --- ${id}`);
      prev = id;
    }
    lines.push('  end');
    if (!stage.used) unused.push(`s${stage.index}`, ...stage.steps.map((s) => `s${stage.index}_${s.index}`));
  }
  graph.externalImages.forEach((img, i) => lines.push(`  img${i}[("${escape(img.ref)}")]`));
  for (const stage of graph.stages) {
    for (const d of stage.deps) {
      const to = d.step === undefined ? `s${stage.index}` : `s${stage.index}_${d.step}`;
      const from = d.stage !== undefined ? lastId(graph.stages[d.stage]!) : `img${images.get(d.image ?? '')!}`;
      const arrow = d.kind === 'from' ? '-->' : '-.->';
      lines.push(`  ${from} ${arrow}|${escape(depLabel(d))}| ${to}`);
    }
  }
  lines.push('  classDef unused fill:#eeeeee,stroke:#aaaaaa,color:#999999');
  if (unused.length > 0) lines.push(`  class ${unused.join(',')} unused`);
  for (const stage of graph.stages) {
    if (!stage.used) lines.push(`  style stage${stage.index} fill:#f6f6f6,stroke:#bbbbbb,color:#999999,stroke-dasharray: 5 5`);
    else if (stage.isTarget) lines.push(`  style stage${stage.index} stroke-width:3px`);
  }
  return `${lines.join('\n')}\n`;
}

function lastId(stage: Stage): string {
  return stage.steps.length === 0 ? `s${stage.index}` : `s${stage.index}_${stage.steps.length - 1}`;
}

/** Mermaid entity codes for what would end a label or be read as markup. */
export function escape(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\|/g, '#124;')
    .replace(/`/g, '#96;')
    .replace(/[\r\n]+/g, ' ');
}
