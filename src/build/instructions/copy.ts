/**
 * COPY and ADD: sources, flags and destination expanded (BEHAVIOURS 6), the destination made
 * absolute against WORKDIR (BEHAVIOURS 13), and a request the solver fulfils from the context
 * or another stage. The history text follows BuildKit: flags that change the result, then the
 * sources as expanded, heredocs as `<<NAME`, then the destination as written.
 */
import { GraphError } from '../../errors.js';
import { invalidChmodMessage, parseChmod } from '../../parse/instructions/chmod.js';
import type { AddInstruction, CopyInstruction, HeredocSource, Word } from '../../parse/instructions/types.js';
import { ShellExpansionError, ShellLex } from '../../parse/shell/lex.js';
import { at, envLines, expandWord, resolveIn, scope, workdirOf } from './state.js';
import type { CopyRequest, CopySourceRequest, Effect, InstructionModule, StageContext, StageState } from './types.js';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

export const copy: InstructionModule<CopyInstruction> = { kind: 'copy', apply: copyOrAdd };

export function copyOrAdd(state: StageState, ins: CopyInstruction | AddInstruction, ctx: StageContext): Effect {
  const env = scope(state);
  const kw = ins.kind.toUpperCase();
  const expand = (w: Word): string => expandWord(ctx, w, env);
  const isAdd = ins.kind === 'add';

  const paths: { word: Word; value: string }[] = [];
  const heredocs: CopySourceRequest[] = [];
  for (const src of ins.sources) {
    if (src.kind === 'heredoc') heredocs.push(heredocSource(src, env, ctx));
    else paths.push({ word: src.word, value: expand(src.word) });
  }
  const sources: CopySourceRequest[] = paths.map(({ word, value }) => {
    if (!/^https?:\/\//.test(value)) return { kind: 'path', path: value, unpack: isAdd ? ins.unpack ?? true : false };
    if (!isAdd) throw new GraphError(`COPY cannot fetch a URL (${value}): use ADD for remote sources`, at(ctx, word));
    return { kind: 'url', url: value, unpack: ins.unpack ?? false };
  });
  sources.push(...heredocs);

  const destWritten = expand(ins.dest);
  // `.` counts as a directory: BuildKit reads it as `./`.
  const dest = resolveIn(workdirOf(state), destWritten, true);
  if (ins.sources.length > 1 && !dest.endsWith('/')) {
    throw new GraphError(`${kw} with more than one source needs a directory destination ending in /: write ${destWritten}/`, at(ctx, ins.dest));
  }

  const chown = ins.chown ? expand(ins.chown) : undefined;
  const chmodText = ins.chmod ? expand(ins.chmod) : undefined;
  const chmod = chmodText === undefined ? undefined : parseChmod(chmodText);
  if (chmodText !== undefined && chmod === undefined) throw new GraphError(invalidChmodMessage(chmodText), at(ctx, ins.chmod!));

  const request: CopyRequest = {
    kind: ins.kind,
    sources,
    dest,
    destIsDir: dest.endsWith('/'),
    ...(chown !== undefined && chown !== '' ? { chown } : {}),
    ...(chmod !== undefined ? { chmod } : {}),
    link: ins.link,
    parents: ins.kind === 'copy' ? ins.parents : false,
    exclude: ins.exclude.map(expand),
    keepGitDir: ins.kind === 'add' ? ins.keepGitDir : false,
  };
  if (ins.kind === 'copy' && ins.from) request.from = expand(ins.from);
  if (ins.kind === 'add' && ins.checksum) request.checksum = checkedChecksum(ins.checksum, expand(ins.checksum), sources, ctx);

  let createdBy = kw;
  if (request.parents) createdBy += ' --parents';
  if (request.chown !== undefined) createdBy += ` --chown=${request.chown}`;
  if (chmodText !== undefined) createdBy += ` --chmod=${chmodText}`;
  for (const p of paths) createdBy += ` ${p.value}`;
  for (const h of heredocs) if (h.kind === 'heredoc') createdBy += ` <<${h.name}`;
  createdBy += ` ${destWritten} # buildkit`;

  return {
    state,
    layer: request,
    createdBy,
    cacheKey: { instruction: JSON.stringify([kw, request]), env: envLines(env) },
  };
}

/**
 * A heredoc file's body, expanded unless its marker was quoted. BuildKit expands these with
 * quotes left as they are, so quotes here are kept in the output too.
 */
function heredocSource(src: HeredocSource, env: ReadonlyMap<string, string>, ctx: StageContext): CopySourceRequest {
  const { file } = src;
  let content = file.content;
  if (file.expand) {
    try {
      content = new ShellLex({ escapeToken: '\\', rawQuotes: true }).processWord(content, env);
    } catch (err) {
      if (err instanceof ShellExpansionError) throw new GraphError(err.message, { file: ctx.file, ...file.range.start });
      throw err;
    }
  }
  return { kind: 'heredoc', name: file.name, content, mode: 0o644 };
}

/** `--checksum` pins one download: a single URL source and a real digest. */
function checkedChecksum(word: Word, value: string, sources: readonly CopySourceRequest[], ctx: StageContext): string {
  if (!DIGEST.test(value)) throw new GraphError(`--checksum=${value} is not a digest such as sha256:<64 hex digits>`, at(ctx, word));
  if (sources.length !== 1) throw new GraphError('--checksum can only be given for a single source', at(ctx, word));
  if (sources[0]!.kind !== 'url') throw new GraphError('--checksum needs an HTTP(S) source', at(ctx, word));
  return value;
}
