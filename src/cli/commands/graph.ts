import { buildGraph, renderDot, renderJson, renderMermaid, renderText, type BuildGraph } from '../../graph/index.js';
import { parseDockerfile } from '../../parse/parser.js';
import { UsageError } from '../../errors.js';
import { keyValues, parseOptions } from '../options.js';
import { readDockerfile } from '../source.js';
import type { Command } from '../types.js';

const RENDERERS: Record<string, (graph: BuildGraph) => string> = {
  text: renderText,
  dot: renderDot,
  mermaid: renderMermaid,
  json: renderJson,
};

export const graphCommand: Command = {
  summary: "Show a Dockerfile's stages and their dependencies",
  usage: `Usage: hull graph [OPTIONS] [CONTEXT]

Show the stages of a build, their steps and what they depend on, pruned to the target.

Options:
  -f, --file FILE          the Dockerfile (default CONTEXT/Dockerfile; - reads standard input)
      --target STAGE       the stage to build (default: the last one)
      --build-arg K=V      set a build-time variable (repeatable)
      --platform P         the target platform, e.g. linux/arm/v7 (default: this machine's)
      --format F           text (default), dot (Graphviz), mermaid or json

Example: hull graph --format dot . | dot -Tsvg > build.svg`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      file: { type: 'string', short: 'f' },
      target: { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
      platform: { type: 'string' },
      format: { type: 'string', default: 'text' },
    });
    if (positionals.length > 1) throw new UsageError('give at most one build context');
    const render = RENDERERS[values.format];
    if (!render) throw new UsageError(`--format ${values.format}: choose one of ${Object.keys(RENDERERS).join(', ')}`);
    const { name, text } = await readDockerfile(io, values.file, positionals[0]);
    const graph = buildGraph(parseDockerfile(text, { file: name }), {
      ...(values.target !== undefined && { target: values.target }),
      ...(values.platform !== undefined && { platform: values.platform }),
      buildArgs: keyValues(values['build-arg'], '--build-arg', process.env),
    });
    for (const w of graph.warnings) {
      io.err(`warning: ${w.at ? `${w.at.file}:${w.at.line}:${w.at.column}: ` : ''}${w.message}\n`);
    }
    io.out(render(graph));
    return 0;
  },
};
