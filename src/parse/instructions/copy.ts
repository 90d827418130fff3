/** COPY and ADD: the same sources/destination shape and most flags; ADD adds remote sources. */
import { invalidChmodMessage, parseChmod } from './chmod.js';
import { fail, heredocFor, inlineFile, keywordOf, mayExpand, type ParseContext } from './common.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import type { AddInstruction, CopyInstruction, CopySource, HeredocSource, Word } from './types.js';

const SHARED = { chown: 'string', chmod: 'string', link: 'bool', exclude: 'list' } as const;

export function parseCopy(ctx: ParseContext): CopyInstruction {
  const flags = parseFlags(ctx, {
    accepted: { ...SHARED, from: 'string', parents: 'bool' },
    elsewhere: {
      checksum: '--checksum is only valid for ADD, not COPY',
      'keep-git-dir': '--keep-git-dir is only valid for ADD, not COPY',
      unpack: '--unpack is only valid for ADD, not COPY',
    },
  });
  const from = flags.string('from');
  return {
    kind: 'copy',
    ...common(ctx, flags),
    ...(from ? { from } : {}),
    parents: flags.bool('parents') ?? false,
  };
}

export function parseAdd(ctx: ParseContext): AddInstruction {
  const flags = parseFlags(ctx, {
    accepted: { ...SHARED, checksum: 'string', 'keep-git-dir': 'bool', unpack: 'bool' },
    elsewhere: {
      from: '--from is only valid for COPY: use COPY --from=<stage|image> to copy out of another stage or image',
      parents: '--parents is only valid for COPY, not ADD',
    },
  });
  const add: AddInstruction = {
    kind: 'add',
    ...common(ctx, flags),
    keepGitDir: flags.bool('keep-git-dir') ?? false,
  };
  const unpack = flags.bool('unpack');
  if (unpack !== undefined) add.unpack = unpack;
  const checksum = flags.string('checksum');
  if (checksum) {
    if (!mayExpand(checksum.value) && !isDigest(checksum.value)) {
      fail(ctx, checksum.range.start, `--checksum=${checksum.value} is not a digest such as sha256:<64 hex digits>`);
    }
    add.checksum = checksum;
  }
  return add;
}

function common(ctx: ParseContext, flags: ParsedFlags) {
  const { node } = ctx;
  const kw = keywordOf(ctx);
  const args = node.args;
  if (args.length < 2) {
    fail(ctx, args[0]?.range.start ?? node.range.start, `${kw} requires at least two arguments, a source and a destination: ${kw} <src>... <dest>`);
  }
  const dest = args[args.length - 1]!;
  if (heredocFor(node, dest.value)) fail(ctx, dest.range.start, `${kw} cannot take a heredoc as its destination`);
  const sources = args.slice(0, -1).map((word): CopySource | HeredocSource => {
    const h = heredocFor(node, word.value);
    return h ? { kind: 'heredoc', word, file: inlineFile(h) } : { kind: 'path', word };
  });
  const chmod = flags.string('chmod');
  if (chmod && !mayExpand(chmod.value)) parseChmodOrFail(ctx, chmod);
  const chown = flags.string('chown');
  return {
    node,
    range: node.range,
    sources,
    dest,
    ...(chown ? { chown } : {}),
    ...(chmod ? { chmod } : {}),
    link: flags.bool('link') ?? false,
    exclude: flags.list('exclude'),
  };
}

function parseChmodOrFail(ctx: ParseContext, word: Word): void {
  if (parseChmod(word.value) === undefined) fail(ctx, word.range.start, invalidChmodMessage(word.value));
}

// parse/instructions/index.ts exports parseChmod from this module
export { parseChmod };

function isDigest(value: string): boolean {
  return /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/.test(value);
}
