/**
 * BuildKit's own shell-lexer test data (../shared/conformance/shell, see FORMAT.md there): one
 * node:test test per line or case, named with the input, so a failure names the case.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ShellExpansionError, ShellLex, envFromList, type ShellEnv } from '../../../src/parse/shell/lex.js';
import { conformanceDir } from '../../helpers/paths.js';
import { expansionError } from '../../helpers/shell.js';

const shellDir = join(conformanceDir(), 'shell');
const read = (name: string): string => readFileSync(join(shellDir, name), 'utf8');


describe('envVarTest (ProcessWord, Unix)', () => {
  const env = new Map([
    ['PWD', '/home'],
    ['SHELL', 'bash'],
    ['KOREAN', '한국어'],
    ['NULL', ''],
  ]);
  const lex = new ShellLex();
  let count = 0;
  read('envVarTest')
    .split('\n')
    .forEach((raw, index) => {
      if (raw.startsWith('#')) return;
      const line = raw.trim();
      if (line === '') return;
      const fields = line.split('|');
      assert.equal(fields.length, 3, `envVarTest line ${index + 1} must have 3 fields`);
      const [platform, input, expected] = fields.map((f) => f.trim()) as [string, string, string];
      assert.ok(['A', 'U', 'W'].includes(platform), `envVarTest line ${index + 1}: platform ${platform}`);
      if (platform === 'W') return;
      count++;
      test(`line ${index + 1}: ${input}`, () => {
        if (expected === 'error') {
          expansionError(() => lex.processWord(input, env));
        } else {
          assert.equal(lex.processWord(input, env), expected);
        }
      });
    });
  test('the file was read', () => assert.ok(count > 200, `only ${count} A/U lines`));
});

describe('wordsTest (ProcessWords)', () => {
  const lex = new ShellLex();
  const env = new Map<string, string>();
  let count = 0;
  read('wordsTest')
    .split('\n')
    .forEach((line, index) => {
      if (line.startsWith('#')) return;
      if (line.startsWith('ENV ')) {
        const entry = line.slice(3).replace(/^ +/, '');
        const eq = entry.indexOf('=');
        env.set(entry.slice(0, eq), entry.slice(eq + 1));
        return;
      }
      if (line === '') return;
      const fields = line.split('|');
      assert.equal(fields.length, 2, `wordsTest line ${index + 1} must have exactly one |`);
      const input = (fields[0] as string).trim();
      const expected = (fields[1] as string).replace(/^ +/, '').split(',');
      const snapshot: ShellEnv = new Map(env);
      count++;
      test(`line ${index + 1}: ${input}`, () => {
        let words: string[];
        try {
          words = lex.processWords(input, snapshot);
        } catch (err) {
          assert.ok(err instanceof ShellExpansionError, `unexpected ${String(err)}`);
          words = ['error'];
        }
        assert.deepEqual(words, expected);
      });
    });
  test('the file was read', () => assert.ok(count > 20, `only ${count} lines`));
});

interface ProcessWordCase {
  input: string;
  env: Record<string, string>;
  expected?: string;
  error?: boolean;
  errorContains?: string;
  matched?: string[];
  unmatched?: string[];
}

interface GetEnvCase {
  env: string[];
  get: string;
  expected: string;
}

interface Cases {
  processWord: { cases: ProcessWordCase[] };
  mandatory: { cases: ProcessWordCase[] };
  platform: { cases: ProcessWordCase[] };
  getEnv: { cases: GetEnvCase[] };
}

const cases = JSON.parse(read('cases.json')) as Cases;
const envOf = (record: Record<string, string>): ShellEnv => new Map(Object.entries(record));
const sorted = (set: Iterable<string>): string[] => [...set].sort();

function runWordCases(section: string, list: ProcessWordCase[]): void {
  describe(`cases.json ${section}`, () => {
    const lex = new ShellLex();
    list.forEach((c, index) => {
      test(`#${index + 1}: ${c.input} with ${JSON.stringify(c.env)}`, () => {
        const env = envOf(c.env);
        if (c.error) {
          const err = expansionError(() => lex.processWordWithMatches(c.input, env));
          if (c.errorContains !== undefined) assert.ok(err.message.includes(c.errorContains), err.message);
          return;
        }
        const got = lex.processWordWithMatches(c.input, env);
        assert.equal(got.result, c.expected);
        assert.equal(lex.processWord(c.input, env), c.expected);
        if (c.matched !== undefined) assert.deepEqual(sorted(got.matched), sorted(c.matched));
        if (c.unmatched !== undefined) assert.deepEqual(sorted(got.unmatched), sorted(c.unmatched));
      });
    });
  });
}

runWordCases('processWord', cases.processWord.cases);
runWordCases('mandatory', cases.mandatory.cases);
runWordCases('platform', cases.platform.cases);

describe('cases.json getEnv (env from NAME=value entries)', () => {
  const lex = new ShellLex();
  cases.getEnv.cases.forEach((c, index) => {
    test(`#${index + 1}: ${c.get} in ${JSON.stringify(c.env)}`, () => {
      const env = envFromList(c.env);
      assert.equal(env.get(c.get) ?? '', c.expected);
      assert.equal(lex.processWord(`\${${c.get}}`, env), c.expected);
    });
  });
});
