import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('RUN', () => {
  it('keeps the shell form as one command line', () => {
    const run = oneOf('RUN apt-get update && \\\n    apt-get install -y curl', 'run');
    assert.equal(run.form, 'shell');
    assert.equal(run.command.length, 1);
    assert.match(run.command[0]!, /^apt-get update && +apt-get install -y curl$/);
    assert.deepEqual(run.mounts, []);
  });

  it('keeps the exec form as its JSON words', () => {
    const run = oneOf('RUN ["/bin/echo", "a b", "c"]', 'run');
    assert.equal(run.form, 'exec');
    assert.deepEqual(run.command, ['/bin/echo', 'a b', 'c']);
  });

  it('collects heredocs, removing leading tabs for <<-', () => {
    const run = oneOf('RUN <<EOF\necho one\nEOF', 'run');
    assert.equal(run.heredocs.length, 1);
    assert.equal(run.heredocs[0]!.name, 'EOF');
    assert.equal(run.heredocs[0]!.content, 'echo one\n');
    assert.equal(run.heredocs[0]!.expand, true);

    const chomped = oneOf("RUN <<-'END'\n\t\techo two\n\tEND", 'run');
    assert.equal(chomped.heredocs[0]!.content, 'echo two\n');
    assert.equal(chomped.heredocs[0]!.chomp, true);
    assert.equal(chomped.heredocs[0]!.expand, false);
  });

  it('reads several heredocs, with file descriptors', () => {
    const run = oneOf('RUN 3<<A cat /dev/fd/3 <<B\na\nA\nb\nB', 'run');
    assert.deepEqual(run.heredocs.map((h) => [h.name, h.content, h.fileDescriptor]), [
      ['A', 'a\n', 3],
      ['B', 'b\n', 0],
    ]);
  });

  it('reads --network and --security', () => {
    const run = oneOf('RUN --network=none --security=insecure true', 'run');
    assert.equal(run.network, 'none');
    assert.equal(run.security, 'insecure');
    assert.equal(oneOf('RUN --network=host true', 'run').network, 'host');
    assert.equal(oneOf('RUN --network=default true', 'run').network, 'default');
    assert.equal(oneOf('RUN --security=sandbox true', 'run').security, 'sandbox');
  });

  it('rejects unsupported --network and --security values', () => {
    rejects('RUN --network=bridge true', 1, 5, '--network=bridge is not supported; use default, none or host');
    rejects('RUN --security=root true', 1, 5, '--security=root is not supported; use sandbox or insecure');
  });

  it('rejects an empty command', () => {
    rejects('RUN', 1, 1, 'RUN needs a command to run');
    rejects('RUN []', 1, 1, 'RUN [] has an empty command: give the program to run');
    rejects('RUN --network=none', 1, 1, 'RUN needs a command to run');
  });

  it('rejects unknown and misspelt flags', () => {
    rejects('RUN --mont=type=cache,target=/x true', 1, 5, 'unknown flag --mont for RUN (did you mean --mount?); RUN accepts --mount, --network, --security');
    rejects('RUN --network=none --network=host true', 1, 20, '--network is given more than once; RUN takes it once');
  });

  it('accepts several --mount flags', () => {
    const run = oneOf('RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=npm true', 'run');
    assert.deepEqual(run.mounts.map((m) => m.type), ['cache', 'secret']);
    assert.deepEqual(run.mounts[1]!.range.start, { line: 1, column: 44 });
  });
});
