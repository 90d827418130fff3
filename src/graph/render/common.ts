import type { BuildGraph, Dependency, Stage, Step } from '../types.js';

/** The instruction as written on one line, whitespace collapsed, cut to `max` characters. */
export function stepText(step: Step, max = 72): string {
  return oneLine(step.instruction.node.original, max);
}

export function fromText(stage: Stage, max = 72): string {
  return oneLine(stage.from.node.original, max);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `stage 1 "builder"` or `stage 1`. */
export function stageLabel(stage: Stage): string {
  return stage.name ? `stage ${stage.index} "${stage.name}"` : `stage ${stage.index}`;
}

export function depLabel(d: Dependency): string {
  switch (d.kind) {
    case 'from':
      return 'FROM';
    case 'copy':
      return 'COPY --from';
    case 'mount':
      return 'mount';
  }
}

/** Index into `graph.externalImages`, for node ids. */
export function imageIndex(graph: BuildGraph): Map<string, number> {
  return new Map(graph.externalImages.map((img, i) => [img.ref, i]));
}
