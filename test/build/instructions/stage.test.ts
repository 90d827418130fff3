import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../../src/errors.js';
import { applyInstruction, startStage } from '../../../src/build/instructions/index.js';
import { DEFAULT_PATH, withDefaultPath } from '../../../src/build/defaults.js';
import { stageContext } from '../../../src/build/stage-context.js';
import { graphOf } from '../../graph/helpers.js';
import { build, createdBy, PATH, scratch } from './helpers.js';

describe('starting a stage', () => {
  it('adds the default PATH only when the base has none (BEHAVIOURS 10)', () => {
    assert.deepEqual(withDefaultPath(scratch()).config?.Env, [`PATH=${DEFAULT_PATH}`]);
    assert.deepEqual(withDefaultPath(scratch({ Env: ['PATH=/x'] })).config?.Env, ['PATH=/x']);
    assert.deepEqual(withDefaultPath({ ...scratch(), os: 'windows' }).config?.Env, undefined);
  });

  it('takes the base ONBUILD triggers out of the config to run once (BEHAVIOURS 30)', () => {
    const base = { ...scratch({ OnBuild: ['RUN a', 'COPY . /'] }), created: '2024-01-01T00:00:00Z', history: [{ created_by: 'base' }] };
    const { state, triggers } = startStage(base);
    assert.deepEqual(triggers, ['RUN a', 'COPY . /']);
    assert.equal(state.image.config?.OnBuild, undefined);
    assert.equal(state.image.created, undefined);
    assert.deepEqual(state.image.history, [{ created_by: 'base' }]);
  });

  it('hands a parent stage’s ARGs and config to a child; labels and env accumulate (BEHAVIOURS 27)', () => {
    const graph = graphOf('FROM scratch AS base\nARG V=1\nENV A=1\nLABEL a=1\nFROM base\nENV B=$A\nLABEL b=2\nRUN x\n');
    const parent = build('FROM scratch AS base\nARG V=1\nENV A=1\nLABEL a=1\n', { stage: 0 });
    const child = graph.stages[1]!;
    let { state } = startStage(parent.image, parent.final);
    const ctx = stageContext(graph, child);
    for (const step of child.steps) state = applyInstruction(state, step.instruction, ctx).state;
    assert.deepEqual(state.image.config?.Env, [PATH, 'A=1', 'B=1']);
    assert.deepEqual(state.image.config?.Labels, { a: '1', b: '2' });
    assert.equal(state.image.history?.at(-1)?.created_by, 'RUN |1 V=1 /bin/sh -c x # buildkit');
  });

  it('stamps history with the build time when given, and refuses FROM as a step', () => {
    const graph = graphOf('FROM scratch\nENV A=1\n');
    const ctx = stageContext(graph, graph.stages[0]!, '2024-05-01T00:00:00Z');
    const { state } = startStage(scratch());
    const out = applyInstruction(state, graph.stages[0]!.steps[0]!.instruction, ctx);
    assert.deepEqual(out.history, { created: '2024-05-01T00:00:00Z', created_by: 'ENV A=1', comment: 'buildkit.dockerfile.v0', empty_layer: true });
    assert.throws(() => applyInstruction(state, graph.stages[0]!.from, ctx), GraphError);
  });

  it('leaves the input state untouched (immutable style)', () => {
    const { state } = startStage(scratch({ Labels: { a: '1' } }));
    const graph = graphOf('FROM scratch\nLABEL b=2\nENV X=1\n');
    const ctx = stageContext(graph, graph.stages[0]!);
    applyInstruction(state, graph.stages[0]!.steps[0]!.instruction, ctx);
    assert.deepEqual(state.image.config?.Labels, { a: '1' });
    assert.deepEqual(state.image.history, []);
    assert.deepEqual(createdBy(build('FROM scratch\nLABEL b=2\n')), ['LABEL b=2']);
  });
});
