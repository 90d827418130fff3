import assert from 'node:assert/strict';
import { GraphError } from '../../src/errors.js';
import { buildGraph, type BuildGraph, type BuildGraphOptions } from '../../src/graph/index.js';
import { parseDockerfile } from '../../src/parse/parser.js';

/** A graph for `text`, on a fixed platform so results do not depend on the machine. */
export function graphOf(text: string, options: BuildGraphOptions = {}): BuildGraph {
  return buildGraph(parseDockerfile(text), { platform: 'linux/amd64', buildPlatform: 'linux/amd64', ...options });
}

/** `text` must fail with a GraphError at line:column whose sentence is `reason` (or matches it). */
export function graphRejects(text: string, line: number, column: number, reason: string | RegExp, options: BuildGraphOptions = {}): void {
  assert.throws(
    () => graphOf(text, options),
    (err: unknown) => {
      assert.ok(err instanceof GraphError, `expected a GraphError, got ${String(err)}`);
      if (typeof reason === 'string') assert.equal(err.reason, reason);
      else assert.match(err.reason, reason);
      assert.deepEqual({ line: err.line, column: err.column }, { line, column }, err.message);
      assert.equal(err.message, `Dockerfile:${line}:${column}: ${err.reason}`);
      return true;
    },
  );
}

/** The ARG values a step sees, as a plain object. */
export function argsAt(graph: BuildGraph, stage: number, step: number): Record<string, string> {
  return Object.fromEntries(graph.stages[stage]!.steps[step]!.args);
}
