import assert from 'node:assert/strict';
import { ParseError } from '../../../src/errors.js';
import { toInstruction, type Instruction } from '../../../src/parse/instructions/index.js';
import { parseDockerfile } from '../../../src/parse/parser.js';

/** The typed instruction for the last line of `text`. */
export function one(text: string): Instruction {
  const df = parseDockerfile(text);
  return toInstruction(df.nodes[df.nodes.length - 1]!, df.file);
}

/** Like `one`, asserting the kind so the test can read its fields. */
export function oneOf<K extends Instruction['kind']>(text: string, kind: K): Extract<Instruction, { kind: K }> {
  const ins = one(text);
  assert.equal(ins.kind, kind);
  return ins as Extract<Instruction, { kind: K }>;
}

/** `text` must fail with a ParseError at line:column whose sentence is `reason` (or matches it). */
export function rejects(text: string, line: number, column: number, reason: string | RegExp): void {
  assert.throws(
    () => one(text),
    (err: unknown) => {
      assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
      if (typeof reason === 'string') assert.equal(err.reason, reason);
      else assert.match(err.reason, reason);
      assert.deepEqual({ line: err.line, column: err.column }, { line, column }, err.message);
      assert.equal(err.file, 'Dockerfile');
      assert.equal(err.message, `Dockerfile:${line}:${column}: ${err.reason}`);
      return true;
    },
  );
}
