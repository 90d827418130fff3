/** The per-stage constants instruction modules need, taken from the instruction graph. */
import { Expander } from '../graph/args.js';
import type { BuildGraph, Stage } from '../graph/types.js';
import { parsePlatform } from '../image/platform.js';
import type { StageContext } from './instructions/types.js';

export function stageContext(graph: BuildGraph, stage: Stage, created?: string): StageContext {
  return {
    file: graph.file,
    expander: new Expander(graph.file, graph.escapeToken),
    escapeToken: graph.escapeToken,
    platform: stage.platform ? parsePlatform(stage.platform) : graph.platform,
    argSources: { buildArgs: graph.buildArgs, globals: graph.globalArgValues },
    proxyArgs: graph.proxyArgs,
    ...(created !== undefined ? { created } : {}),
  };
}
