import nearley from 'nearley';
import type { Dockerfile, Flag, Heredoc, Node } from './ast.js';
import { ParseError } from '../errors.js';
import { acceptsHeredocs, parseArguments } from './arguments.js';
import compiledHead, { type InstructionHead } from './generated/instruction.js';
import { heredocMarkers, type HeredocMarker } from './heredoc.js';
import type { EscapeToken } from './lex/lines.js';
import { toArray } from './cons.js';
import { cookFlag } from './lex/head.js';
import { QuietParser } from './nearley.js';
import { LineReader } from './reader.js';
import { ShellExpansionError } from './shell/lex.js';
import { leadingSpaceLength, trimmedEnd, type LogicalLine } from './source.js';

const headGrammar = nearley.Grammar.fromCompiled(compiledHead as unknown as nearley.CompiledRules);

export interface ParseOptions {
  /** The name errors and positions use; default `Dockerfile`. */
  file?: string;
}

/**
 * Parses Dockerfile text into BuildKit's syntax tree. Any input gives a Dockerfile or a
 * ParseError naming file, line and column; nothing else is thrown.
 */
export function parseDockerfile(text: string, options: ParseOptions = {}): Dockerfile {
  const file = options.file ?? 'Dockerfile';
  try {
    return parse(text, file);
  } catch (err) {
    if (err instanceof ParseError) throw err;
    // A bug must still surface as a located ParseError, never as a crash of the caller.
    throw new ParseError(`internal parser error: ${(err as Error).message}`, { file, line: 1, column: 1 });
  }
}

function parse(text: string, file: string): Dockerfile {
  const reader = new LineReader(text, file);
  const nodes: Node[] = [];
  for (let logical = reader.next(); logical; logical = reader.next()) {
    const node = parseInstruction(logical.line, { file, escape: reader.escape });
    node.comments = logical.comments;
    node.range = { start: logical.start, end: logical.end };
    if (acceptsHeredocs(node)) node.heredocs = readHeredocs(node, reader, file);
    nodes.push(node);
  }
  if (nodes.length === 0) {
    throw new ParseError('the Dockerfile has no instructions: it needs at least a FROM line', {
      file,
      line: Math.max(1, reader.line),
      column: 1,
    });
  }
  return { file, directives: reader.directives, escapeToken: reader.escape, nodes, warnings: reader.warnings };
}

interface Context {
  file: string;
  escape: EscapeToken;
}

/** Splits one logical line (or ONBUILD's nested text) into keyword, flags and arguments. */
function parseInstruction(source: LogicalLine, ctx: Context): Node {
  const lead = leadingSpaceLength(source.text);
  const line = source.slice(lead, trimmedEnd(source.text));
  const text = line.text;
  const head = parseHead(text, line, ctx.file);
  const name = head.keyword.text.toLowerCase();
  const { flags, restStart } = cookFlags(head, text, line);
  const restText = text.slice(restStart);
  const restLead = leadingSpaceLength(restText);
  const rest = line.slice(restStart + restLead);
  const parsed = parseArguments(name, rest, { file: ctx.file, escape: ctx.escape, keyword: head.keyword.text.toUpperCase() });
  const node: Node = {
    keyword: head.keyword.text,
    name,
    flags,
    args: parsed.args,
    json: parsed.json,
    heredocs: [],
    original: source.text,
    comments: [],
    range: line.rangeAt(0, text.length),
    argsStart: rest.positionAt(0),
  };
  if (parsed.nested) node.child = parseInstruction(parsed.nested, ctx);
  return node;
}

function parseHead(text: string, line: LogicalLine, file: string): InstructionHead {
  const parser = new QuietParser(headGrammar);
  try {
    parser.feed(text);
  } catch (err) {
    throw new ParseError(`cannot read this instruction: ${(err as Error).message.split('\n')[0]}`, {
      file,
      ...line.positionAt(0),
    });
  }
  const result = (parser.results as InstructionHead[])[0];
  if (!result) throw new ParseError('cannot read this instruction', { file, ...line.positionAt(0) });
  return result;
}

/**
 * Flags with quotes and escapes resolved. A bare `--` ends the flags: what follows is
 * arguments even when it starts with `--`.
 */
function cookFlags(head: InstructionHead, text: string, line: LogicalLine): { flags: Flag[]; restStart: number } {
  const flags: Flag[] = [];
  for (const parts of toArray(head.flags)) {
    const { text: raw, end } = cookFlag(parts);
    if (raw === '--') return { flags, restStart: end };
    const eq = raw.indexOf('=');
    flags.push({
      raw,
      name: eq < 0 ? raw.slice(2) : raw.slice(2, eq),
      value: eq < 0 ? null : raw.slice(eq + 1),
      range: line.rangeAt(parts.start.offset, end),
    });
  }
  return { flags, restStart: head.rest ? head.rest.offset : text.length };
}

function readHeredocs(node: Node, reader: LineReader, file: string): Heredoc[] {
  let markers: HeredocMarker[];
  try {
    markers = heredocMarkers(node.original);
  } catch (err) {
    if (err instanceof ShellExpansionError) {
      throw new ParseError(`invalid heredoc marker: ${err.message}`, { file, ...node.range.start });
    }
    throw err;
  }
  const heredocs: Heredoc[] = [];
  for (const marker of markers) {
    const body = reader.readHeredoc(marker.name, marker.chomp);
    if (!body) {
      throw new ParseError(
        `unterminated heredoc: no line "${marker.name}" closes the <<${marker.chomp ? '-' : ''}${marker.name} started here before the end of the file`,
        { file, ...node.range.start },
      );
    }
    heredocs.push({ ...marker, content: body.content, range: body.range });
    node.range = { start: node.range.start, end: body.range.end };
  }
  return heredocs;
}
