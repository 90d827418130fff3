// The parser's own behaviour beyond BuildKit's case files: directives, comments, continuations,
// every instruction's argument forms, positions, and the error messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../src/errors.js';
import { dumpDockerfile, goQuote } from '../../src/parse/dump.js';
import { parseDockerfile } from '../../src/parse/parser.js';

const dump = (text: string) => dumpDockerfile(parseDockerfile(text));

function throwsAt(text: string, line: number, column: number, reason: RegExp, file = 'Dockerfile'): void {
  assert.throws(
    () => parseDockerfile(text, { file }),
    (err: unknown) => {
      assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.equal(`${err.line}:${err.column}`, `${line}:${column}`, err.message);
      assert.match(err.reason, reason);
      assert.equal(err.message, `${file}:${line}:${column}: ${err.reason}`);
      return true;
    },
  );
}

test('parser directives: syntax, escape and check are read at the top only', () => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\n#escape=`\n# check=skip=all\nFROM a\n# escape=\\\nRUN a `\n  b\n');
  assert.deepEqual(df.directives, { syntax: 'docker/dockerfile:1', escape: '`', check: 'skip=all' });
  assert.equal(df.escapeToken, '`');
  assert.equal(df.nodes[1]!.args[0]!.value, 'a   b');
  // After the first non-directive line, a directive-looking line is only a comment.
  assert.deepEqual(parseDockerfile('# hello\n# escape=`\nFROM a\n').escapeToken, '\\');
  assert.deepEqual(parseDockerfile('\n# escape=`\nFROM a\n').escapeToken, '\\');
  // An unknown directive name ends directive detection too.
  assert.equal(parseDockerfile('# foo=bar\n# escape=`\nFROM a\n').escapeToken, '\\');
});

test('directive errors name the line', () => {
  throwsAt('# escape=x\nFROM a\n', 1, 1, /invalid escape token 'x'/);
  throwsAt('# syntax=a\n  # SYNTAX = b\nFROM a\n', 2, 3, /only one "syntax" parser directive/);
});

test('a byte-order mark and CRLF line endings are accepted', () => {
  assert.equal(dump('\uFEFFFROM a\r\nRUN b \\\r\n  c\r\n'), '(from "a")\n(run "b   c")\n');
});

test('continuations skip comment lines and blank lines, and warn about the blank ones', () => {
  const df = parseDockerfile('FROM a\nRUN a \\\n# a comment \\\n\n   \n  b \\\n  c\nRUN d');
  assert.equal(df.nodes[1]!.args[0]!.value, 'a   b   c');
  assert.deepEqual(df.nodes[1]!.range, { start: { line: 2, column: 1 }, end: { line: 7, column: 4 } });
  assert.equal(df.warnings.length, 1);
  assert.match(df.warnings[0]!.message, /empty continuation line/);
  assert.equal(df.nodes[2]!.range.start.line, 8);
});

test('an escaped escape at the end of a line does not continue it', () => {
  assert.equal(dump('FROM a\nRUN echo \\\\\nRUN b\n'), '(from "a")\n(run "echo \\\\\\\\")\n(run "b")\n');
});

test('a continuation at the end of the file ends the instruction', () => {
  assert.equal(dump('FROM a\nRUN echo \\'), '(from "a")\n(run "echo")\n');
});

test('comments above an instruction are kept with it', () => {
  const df = parseDockerfile('# base image\n#   pinned\nFROM a\n\n# build\nRUN b\n');
  assert.deepEqual(df.nodes.map((n) => n.comments), [['base image', 'pinned'], ['build']]);
});

test('every instruction form dumps as BuildKit does', () => {
  const cases: [string, string][] = [
    ['FROM --platform=$BUILDPLATFORM golang:1.22 AS build', '(from ["--platform=$BUILDPLATFORM"] "golang:1.22" "AS" "build")'],
    ['RUN --mount=type=cache,target=/root/.cache --network=none go build', '(run ["--mount=type=cache,target=/root/.cache" "--network=none"] "go build")'],
    ['RUN ["sh", "-c", "echo hi"]', '(run "sh" "-c" "echo hi")'],
    ["RUN ['sh', '-c']", `(run "['sh', '-c']")`],
    ['RUN ["unterminated"', '(run "[\\"unterminated\\"")'],
    ['CMD []', '(cmd)'],
    ['LABEL a=1 b="two words"', '(label "a" "1" "=" "b" "\\"two words\\"" "=")'],
    ['MAINTAINER Jane Doe <jane@example.com>', '(maintainer "Jane Doe <jane@example.com>")'],
    ['EXPOSE 80 443/tcp 8000-8010/udp', '(expose "80" "443/tcp" "8000-8010/udp")'],
    ['ENV PATH=/go/bin:$PATH GOFLAGS="-mod=vendor"', '(env "PATH" "/go/bin:$PATH" "=" "GOFLAGS" "\\"-mod=vendor\\"" "=")'],
    ['ENV OLD  form with spaces', '(env "OLD" "form with spaces" "")'],
    ['ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.tgz /src/', '(add ["--checksum=sha256:abc" "--keep-git-dir=true"] "https://x/y.tgz" "/src/")'],
    ['COPY --from=build --chown=app:app --chmod=755 --link --parents --exclude=*.md a b /c/', '(copy ["--from=build" "--chown=app:app" "--chmod=755" "--link" "--parents" "--exclude=*.md"] "a" "b" "/c/")'],
    ['COPY ["a b", "/c/"]', '(copy "a b" "/c/")'],
    ['ENTRYPOINT ["/entrypoint.sh"]', '(entrypoint "/entrypoint.sh")'],
    ['VOLUME /a /b', '(volume "/a" "/b")'],
    ['VOLUME ["/data"]', '(volume "/data")'],
    ['USER app:app', '(user "app:app")'],
    ['WORKDIR /srv/app', '(workdir "/srv/app")'],
    ['ARG VERSION', '(arg "VERSION")'],
    ['ARG A=1 B="x y"', '(arg "A=1" "B=\\"x y\\"")'],
    ['ONBUILD COPY . /app', '(onbuild (copy "." "/app"))'],
    ['STOPSIGNAL SIGKILL', '(stopsignal "SIGKILL")'],
    ['HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/', '(healthcheck ["--interval=5m" "--timeout=3s"] "CMD" "curl -f http://localhost/")'],
    ['HEALTHCHECK CMD ["curl", "-f", "x"]', '(healthcheck "CMD" "curl" "-f" "x")'],
    ['HEALTHCHECK NONE', '(healthcheck "NONE")'],
    ['SHELL ["powershell", "-command"]', '(shell "powershell" "-command")'],
    ['COPY --chown="a b" -- --weird /x', '(copy ["--chown=a b"] "--weird" "/x")'],
    ['RUNN echo', '(runn "")'],
  ];
  for (const [line, expected] of cases) assert.equal(dump(`${line}\n`), `${expected}\n`, line);
});

test('exec form is recorded', () => {
  const [run, cmd] = parseDockerfile('RUN ["a"]\nCMD b\n').nodes;
  assert.equal(run!.json, true);
  assert.equal(cmd!.json, false);
});

test('flags keep their name, value and position', () => {
  const node = parseDockerfile('FROM a\nCOPY  --from=build --link a b\n').nodes[1]!;
  assert.deepEqual(
    node.flags.map((f) => [f.name, f.value, f.range.start.column]),
    [['from', 'build', 7], ['link', null, 20]],
  );
  assert.deepEqual(node.argsStart, { line: 2, column: 27 });
  assert.deepEqual(node.args.map((a) => a.range.start), [{ line: 2, column: 27 }, { line: 2, column: 29 }]);
});

test('flags built from several pieces (escapes, quotes) come out once each', () => {
  const flags = (line: string) => parseDockerfile(line).nodes[0]!.flags.map((f) => f.raw);
  assert.deepEqual(flags('COPY --chown="a b" --x=a\\b\\c y z'), ['--chown=a b', '--x=abc']);
  assert.deepEqual(flags('COPY --a=\\1\\2\\3 --b x y'), ['--a=123', '--b']);
  assert.deepEqual(flags("RUN --mount=type=secret,id='my id' --network=none x"), ['--mount=type=secret,id=my id', '--network=none']);
  assert.deepEqual(flags('RUN --a="unterminated x y'), ['--a=unterminated x y']);
});

test('positions survive continuations', () => {
  const node = parseDockerfile('FROM a\nCOPY --from=x \\\n    src \\\n    /dst\n').nodes[1]!;
  assert.deepEqual(node.args.map((a) => [a.value, a.range.start.line, a.range.start.column]), [
    ['src', 3, 5],
    ['/dst', 4, 5],
  ]);
});

test('errors are ParseErrors with file, line, column and a sentence', () => {
  throwsAt('FROM a\n\nENV PATH\n', 3, 5, /ENV PATH has no value: write ENV PATH=VALUE/, 'app/Dockerfile');
  throwsAt('FROM a\nLABEL a=1 b c=2\n', 2, 11, /LABEL expects name=value pairs, but "b" has no "="/);
  throwsAt('FROM a\nCMD ["a", 1]\n', 2, 5, /must be an array of strings only/);
  throwsAt('', 1, 1, /no instructions/);
  throwsAt('# just a comment\n\n', 2, 1, /no instructions/);
});

test('hostile input gives a result or a ParseError, nothing else', () => {
  const inputs = [
    '\0\0\0',
    'FROM a\nRUN \0\n',
    Buffer.from([0xff, 0xfe, 0x00, 0x46, 0x52, 0x4f, 0x4d]).toString('utf8'),
    `FROM a\nRUN ${'x'.repeat(10 * 1024 * 1024)}\n`,
    `FROM a\nCOPY --a="${'b '.repeat(1024 * 1024)} c d\n`,
    `FROM a\nCMD ${'['.repeat(50000)}${']'.repeat(50000)}\n`,
    `FROM a\nRUN ${'\\\n'.repeat(100000)}x\n`,
    `FROM a\nRUN --mount=${'\\\\'.repeat(50000)} x\n`,
    `FROM a\nRUN --m=${'"'.repeat(50000)} x\n`,
    `FROM a\nRUN --x='${'\\'.repeat(50000)} y\n`,
    `FROM a\nRUN --x="${'\\'.repeat(50000)} y\n`,
    `# syntax = x${'\t'.repeat(100000)}y\nFROM a\n`,
    `FROM a\nRUN x${'\r'.repeat(100000)}y\n`,
  ];
  for (const input of inputs) {
    try {
      parseDockerfile(input);
    } catch (err) {
      assert.ok(err instanceof ParseError, String(err));
    }
  }
});

test('goQuote escapes as Go does', () => {
  assert.equal(goQuote('a"b\\c\n\t\x01\x7f'), '"a\\"b\\\\c\\n\\t\\x01\\x7f"');
  assert.equal(goQuote('héllo ✓ 日本'), '"héllo ✓ 日本"');
  assert.equal(goQuote('\u00a0\u200b'), '"\\u00a0\\u200b"');
  assert.equal(goQuote('\u{1F600}'), '"\u{1F600}"');
});
