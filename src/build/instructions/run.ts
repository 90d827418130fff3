/**
 * RUN: a command for the solver to execute. Shell form runs through the SHELL; ARG values join
 * its environment but never the config (BEHAVIOURS 4); the history lists the declared ARGs as
 * BuildKit does (`RUN |1 V=x /bin/sh -c …`), proxy args only when declared (BEHAVIOURS 8).
 */
import { GraphError } from '../../errors.js';
import { parseHeredocMarker } from '../../parse/heredoc.js';
import { MountSpecError, parseMount } from '../../parse/instructions/mount.js';
import type { Mount, RunInstruction } from '../../parse/instructions/types.js';
import { ShellExpansionError, ShellLex } from '../../parse/shell/lex.js';
import { configEnv, configOf, resolveIn, scope, shellOf, workdirOf } from './state.js';
import type { InlineFileRequest, InstructionModule, RunRequest, StageContext, StageState } from './types.js';

/** Where BuildKit mounts a heredoc script that starts with `#!`. */
const PIPES_DIR = '/dev/pipes/';

export const run: InstructionModule<RunInstruction> = {
  kind: 'run',
  apply(state, ins, ctx) {
    const { args: command, inlineFiles } = commandOf(ins, ctx);
    const args = ins.form === 'shell' ? [...shellOf(state), command.join(' ')] : command;
    const cwd = workdirOf(state);
    const request: RunRequest = {
      kind: 'run',
      args,
      env: runEnv(state, ctx),
      cwd,
      user: configOf(state).User ?? '',
      network: ins.network ?? 'default',
      security: ins.security ?? 'sandbox',
      mounts: ins.mounts.map((m) => expandMount(m, cwd, state, ctx)),
      inlineFiles,
    };
    const { kind: _kind, env, ...rest } = request;
    return {
      state,
      layer: request,
      createdBy: `RUN ${historyArgs(state)}${args.join(' ')} # buildkit`,
      cacheKey: { instruction: JSON.stringify(['RUN', { ...rest, mounts: rest.mounts.map(mountKey) }]), env: [...env].sort() },
    };
  },
};

/**
 * The command after heredocs: a lone `<<EOF` runs its body (or, with `#!`, the body as a
 * script file); a heredoc inside a longer line is handed whole to the shell, as BuildKit does.
 */
function commandOf(ins: RunInstruction, ctx: StageContext): { args: string[]; inlineFiles: InlineFileRequest[] } {
  if (ins.heredocs.length === 0 || ins.form === 'exec') return { args: [...ins.command], inlineFiles: [] };
  const line = ins.command.join(' ');
  const first = ins.heredocs[0]!;
  if (parseHeredocMarker(line.trim()) !== null) {
    if (ctx.platform.os !== 'windows' && first.content.startsWith('#!')) {
      const path = PIPES_DIR + first.name;
      return { args: [path], inlineFiles: [{ path, content: first.content, mode: 0o755 }] };
    }
    return { args: [first.content], inlineFiles: [] };
  }
  // The raw bodies (tabs kept for `<<-`): the shell strips them itself.
  const raw = ins.node.heredocs.length > 0 ? ins.node.heredocs : ins.heredocs;
  return { args: [line + raw.map((h) => `\n${h.content}${h.name}`).join('')], inlineFiles: [] };
}

/** The config's ENV, then ARG values ENV does not shadow (BEHAVIOURS 3), then undeclared proxy args. */
function runEnv(state: StageState, ctx: StageContext): string[] {
  const env = [...(configOf(state).Env ?? [])];
  const set = configEnv(state);
  for (const [k, v] of state.args) if (!set.has(k)) env.push(`${k}=${v}`);
  for (const [k, v] of ctx.proxyArgs) if (!set.has(k) && !state.args.has(k)) env.push(`${k}=${v}`);
  return env;
}

/** `|N K=v …` for the declared ARGs, with the value the step sees ("" when unset). */
function historyArgs(state: StageState): string {
  if (state.declaredArgs.length === 0) return '';
  const env = scope(state);
  const pairs = state.declaredArgs.map((k) => `${k}=${env.get(k) ?? ''}`);
  return `|${pairs.length} ${pairs.join(' ')} `;
}

/** Fields holding `$` are expanded now that the values are known; relative targets join WORKDIR. */
function expandMount(m: Mount, cwd: string, state: StageState, ctx: StageContext): Mount {
  let mount = m;
  if (m.unexpanded.length > 0) {
    const lex = new ShellLex({ escapeToken: ctx.escapeToken });
    const env = scope(state);
    try {
      mount = parseMount(m.spec, m.range, (word) => lex.processWord(word, env));
    } catch (err) {
      if (err instanceof MountSpecError || err instanceof ShellExpansionError) {
        throw new GraphError(`invalid --mount: ${err.message}`, { file: ctx.file, ...m.range.start });
      }
      throw err;
    }
  }
  return mount.target === undefined ? mount : { ...mount, target: resolveIn(cwd, mount.target) };
}

/** A mount's meaning without where it was written, for the cache key. */
function mountKey(m: Mount): Omit<Mount, 'range' | 'spec' | 'unexpanded'> {
  const { range: _range, spec: _spec, unexpanded: _unexpanded, ...rest } = m;
  return rest;
}
