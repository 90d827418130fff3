import type { BuildGraph, Stage } from '../types.js';
import { depLabel, fromText, imageIndex, stageLabel, stepText } from './common.js';

const GREY = 'gray60';

/**
 * Graphviz: a cluster per stage holding its FROM and steps, external images as cylinders, and
 * labelled edges from the last step of a stage (or the image) to the step that uses it.
 * Stages the target does not need are grey and dashed.
 */
export function renderDot(graph: BuildGraph): string {
  const images = imageIndex(graph);
  const lines: string[] = [
    'digraph hull {',
    '  rankdir=TB;',
    '  compound=true;',
    '  node [shape=box, fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  for (const stage of graph.stages) lines.push(...cluster(stage));
  graph.externalImages.forEach((img, i) => {
    const used = img.usedBy.some((u) => graph.stages[u.stage]!.used);
    const style = used ? '' : `, color=${GREY}, fontcolor=${GREY}`;
    lines.push(`  img${i} [label=${quote(img.ref)}, shape=cylinder${style}];`);
  });
  for (const stage of graph.stages) {
    for (const d of stage.deps) {
      const to = d.step === undefined ? fromId(stage) : stepId(stage, d.step);
      const from = d.stage !== undefined ? lastId(graph.stages[d.stage]!) : `img${images.get(d.image ?? '')!}`;
      const style = stage.used ? (d.kind === 'from' ? '' : ', style=dashed') : `, color=${GREY}, fontcolor=${GREY}, style=dotted`;
      lines.push(`  ${from} -> ${to} [label=${quote(depLabel(d))}${style}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function cluster(stage: Stage): string[] {
  const title = `${stageLabel(stage)}${stage.platform ? ` [${stage.platform}]` : ''}${stage.isTarget ? ' (target)' : ''}${stage.used ? '' : ' (not built)'}`;
  const attrs = stage.used
    ? [`style=rounded`, stage.isTarget ? 'penwidth=2' : 'penwidth=1']
    : [`style="rounded,dashed"`, `color=${GREY}`, `fontcolor=${GREY}`];
  const nodeStyle = stage.used ? '' : `, color=${GREY}, fontcolor=${GREY}`;
  const out = [`  subgraph cluster_${stage.index} {`, `    label=${quote(title)};`, ...attrs.map((a) => `    ${a};`)];
  out.push(`    ${fromId(stage)} [label=${quote(`${stage.from.range.start.line}: ${fromText(stage, 60)}`)}, style=bold${nodeStyle}];`);
  let prev = fromId(stage);
  for (const step of stage.steps) {
    const id = stepId(stage, step.index);
    out.push(`    ${id} [label=${quote(`${step.line}: ${stepText(step, 60)}`)}${nodeStyle}];`);
    out.push(`    ${prev} -> ${id} [arrowhead=none${stage.used ? '' : `, color=${GREY}`}];`);
    prev = id;
  }
  out.push('  }');
  return out;
}

function fromId(stage: Stage): string {
  return `s${stage.index}`;
}

function stepId(stage: Stage, step: number): string {
  return `s${stage.index}_${step}`;
}

function lastId(stage: Stage): string {
  return stage.steps.length === 0 ? fromId(stage) : stepId(stage, stage.steps.length - 1);
}

/** A DOT double-quoted string: only `"` and `\` need escaping (newlines become `\n`). */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}
