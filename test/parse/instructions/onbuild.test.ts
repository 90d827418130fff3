import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('ONBUILD', () => {
  it('types its trigger and keeps its text', () => {
    const ob = oneOf('ONBUILD RUN echo "hello"', 'onbuild');
    assert.equal(ob.trigger.kind, 'run');
    assert.equal(ob.expression, 'RUN echo "hello"');
    const copy = oneOf('onbuild COPY --from=build /a /b', 'onbuild');
    assert.equal(copy.trigger.kind === 'copy' && copy.trigger.from?.value, 'build');
    assert.equal(copy.expression, 'COPY --from=build /a /b');
  });

  it('appends heredoc bodies to the expression', () => {
    const ob = oneOf('ONBUILD RUN <<EOF\necho hi\nEOF', 'onbuild');
    assert.equal(ob.expression, 'RUN <<EOF\necho hi\nEOF');
    assert.ok(ob.trigger.kind === 'run');
    assert.equal(ob.trigger.kind === 'run' && ob.trigger.heredocs[0]?.content, 'echo hi\n');
  });

  it('rejects ONBUILD ONBUILD, FROM and MAINTAINER triggers at the trigger', () => {
    rejects('ONBUILD ONBUILD RUN x', 1, 9, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    rejects('ONBUILD FROM alpine', 1, 9, "FROM isn't allowed as an ONBUILD trigger");
    rejects('ONBUILD maintainer me', 1, 9, "MAINTAINER isn't allowed as an ONBUILD trigger");
  });

  it('checks the trigger like any instruction', () => {
    rejects('ONBUILD RUNN x', 1, 9, 'unknown instruction: RUNN (did you mean RUN?)');
    rejects('ONBUILD COPY a', 1, 14, 'COPY requires at least two arguments, a source and a destination: COPY <src>... <dest>');
  });

  it('rejects an empty ONBUILD', () => {
    rejects('ONBUILD', 1, 1, 'ONBUILD needs an instruction to run later: ONBUILD <instruction>');
  });
});
