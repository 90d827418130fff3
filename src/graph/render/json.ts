import { formatPlatform } from '../../image/platform.js';
import type { BaseRef, BuildGraph, DependencyKind } from '../types.js';
import { stepText } from './common.js';

/**
 * The graph as stable JSON for tools (`hull graph --format json`). Version 1 shape; fields are
 * only ever added. Absent values are `null`, never missing, so consumers need no guessing.
 *
 * ```
 * { version: 1, file, target, platform, buildPlatform,
 *   globalArgs: [{ name, value|null, line }],
 *   stages: [{ index, name|null, id, line, baseName, base: {kind:'scratch'}|{kind:'stage',stage}|{kind:'image',ref},
 *              platform|null, used, target,
 *              steps: [{ index, line, kind, text }],
 *              deps: [{ kind:'from'|'copy'|'mount', stage|null, image|null, step|null, line, column }] }],
 *   externalImages: [{ ref, usedBy: [{ stage, kind, step|null }] }],
 *   buildOrder: [stage index…],
 *   warnings: [{ message, line|null, column|null }] }
 * ```
 */
export interface GraphJson {
  version: 1;
  file: string;
  target: number;
  platform: string;
  buildPlatform: string;
  globalArgs: { name: string; value: string | null; line: number }[];
  stages: {
    index: number;
    name: string | null;
    id: string;
    line: number;
    baseName: string;
    base: BaseRef;
    platform: string | null;
    used: boolean;
    target: boolean;
    steps: { index: number; line: number; kind: string; text: string }[];
    deps: { kind: DependencyKind; stage: number | null; image: string | null; step: number | null; line: number; column: number }[];
  }[];
  externalImages: { ref: string; usedBy: { stage: number; kind: DependencyKind; step: number | null }[] }[];
  buildOrder: number[];
  warnings: { message: string; line: number | null; column: number | null }[];
}

export function toJson(graph: BuildGraph): GraphJson {
  return {
    version: 1,
    file: graph.file,
    target: graph.target,
    platform: formatPlatform(graph.platform),
    buildPlatform: formatPlatform(graph.buildPlatform),
    globalArgs: graph.globalArgs.flatMap((line) =>
      line.args.map((a) => ({ name: a.name, value: graph.globalArgValues.get(a.name) ?? null, line: line.range.start.line })),
    ),
    stages: graph.stages.map((s) => ({
      index: s.index,
      name: s.name ?? null,
      id: s.id,
      line: s.from.range.start.line,
      baseName: s.baseName,
      base: { ...s.base },
      platform: s.platform ?? null,
      used: s.used,
      target: s.isTarget,
      steps: s.steps.map((step) => ({ index: step.index, line: step.line, kind: step.instruction.kind, text: stepText(step, Infinity) })),
      deps: s.deps.map((d) => ({
        kind: d.kind,
        stage: d.stage ?? null,
        image: d.image ?? null,
        step: d.step ?? null,
        line: d.at.line,
        column: d.at.column,
      })),
    })),
    externalImages: graph.externalImages.map((img) => ({
      ref: img.ref,
      usedBy: img.usedBy.map((u) => ({ stage: u.stage, kind: u.kind, step: u.step ?? null })),
    })),
    buildOrder: [...graph.buildOrder],
    warnings: graph.warnings.map((w) => ({ message: w.message, line: w.at?.line ?? null, column: w.at?.column ?? null })),
  };
}

export function renderJson(graph: BuildGraph): string {
  return `${JSON.stringify(toJson(graph), null, 2)}\n`;
}
