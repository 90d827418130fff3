import assert from 'node:assert/strict';
import { ShellExpansionError } from '../../src/parse/shell/lex.js';

/** Runs `fn`; returns the ShellExpansionError it throws, or fails on any other outcome. */
export function expansionError(fn: () => unknown): ShellExpansionError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ShellExpansionError, `expected ShellExpansionError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ShellExpansionError, but expansion succeeded');
}
