import type { Argument, Node } from './ast.js';
import { ParseError } from '../errors.js';
import { parseJsonArray } from './json-array.js';
import type { EscapeToken } from './lex/lines.js';
import { splitWords } from './lex/words.js';
import { isGoSpace, type LogicalLine } from './source.js';

/** What the per-keyword rule made of the text after the keyword and flags. */
export interface ParsedArguments {
  args: Argument[];
  json: boolean;
  /** ONBUILD: the text to parse as the nested instruction. */
  nested?: LogicalLine;
}

export interface ArgumentContext {
  file: string;
  escape: EscapeToken;
  keyword: string;
}

type Rule = (rest: LogicalLine, ctx: ArgumentContext) => ParsedArguments;

const NONE: ParsedArguments = { args: [], json: false };

function arg(rest: LogicalLine, value: string, start: number, end = start + value.length): Argument {
  return { value, range: rest.rangeAt(start, end) };
}

/** JSON array of strings, or null when the text is not JSON (shell form). */
function jsonForm(rest: LogicalLine, ctx: ArgumentContext): Argument[] | null {
  const elements = parseJsonArray(rest.text);
  if (elements === null) return null;
  const args: Argument[] = [];
  for (const element of elements) {
    if (element === null) {
      throw new ParseError(
        `${ctx.keyword} in JSON (exec) form must be an array of strings only, like ["executable", "arg"]`,
        { file: ctx.file, ...rest.positionAt(0) },
      );
    }
    args.push(arg(rest, element.value, element.offset, element.offset));
  }
  return args;
}

/** RUN, CMD, ENTRYPOINT, SHELL: exec form, else the whole text as one shell command. */
const jsonOrString: Rule = (rest, ctx) => {
  if (rest.text === '') return NONE;
  const json = jsonForm(rest, ctx);
  if (json) return { args: json, json: true };
  return { args: [arg(rest, rest.text, 0)], json: false };
};

/** BuildKit's reWhitespace: ASCII blanks only, unlike the Unicode-aware trims around it. */
const ASCII_BLANKS = /[\t\v\f\r ]+/g;

function blankSeparated(rest: LogicalLine): Argument[] {
  const args: Argument[] = [];
  let at = 0;
  for (const match of rest.text.matchAll(ASCII_BLANKS)) {
    args.push(arg(rest, rest.text.slice(at, match.index), at));
    at = match.index + match[0].length;
  }
  args.push(arg(rest, rest.text.slice(at), at));
  return args;
}

/** FROM, EXPOSE: words, never JSON. */
const whitespaceDelimited: Rule = (rest) => (rest.text === '' ? NONE : { args: blankSeparated(rest), json: false });

/** ADD, COPY, VOLUME: a JSON array, else words. */
const jsonOrWords: Rule = (rest, ctx) => {
  const json = jsonForm(rest, ctx);
  if (json) return { args: json, json: true };
  return whitespaceDelimited(rest, ctx);
};

/** MAINTAINER, STOPSIGNAL, USER, WORKDIR: the text as one argument. */
const wholeText: Rule = (rest) => (rest.text === '' ? NONE : { args: [arg(rest, rest.text, 0)], json: false });

/** ARG: each quote-aware word is one argument (`name` or `name=value`). */
const nameOrNameValue: Rule = (rest, ctx) => ({
  args: splitWords(rest.text, ctx.escape).map((w) => arg(rest, w.value, w.offset)),
  json: false,
});

/**
 * ENV and LABEL: `key=value ...` gives (key, value, "=") triples; the old `KEY value` form
 * gives (key, the rest as written, "").
 */
const nameValue: Rule = (rest, ctx) => {
  const words = splitWords(rest.text, ctx.escape);
  if (words.length === 0) return NONE;
  const at = (offset: number) => ({ file: ctx.file, ...rest.positionAt(offset) });
  if (!words[0]!.value.includes('=')) {
    const blank = /[\t\v\f\r ]+/.exec(rest.text);
    if (!blank) {
      throw new ParseError(
        `${ctx.keyword} ${rest.text} has no value: write ${ctx.keyword} ${rest.text}=VALUE (or ${ctx.keyword} ${rest.text} VALUE)`,
        at(0),
      );
    }
    const valueStart = blank.index + blank[0].length;
    return {
      args: [
        arg(rest, rest.text.slice(0, blank.index), 0),
        arg(rest, rest.text.slice(valueStart), valueStart),
        arg(rest, '', rest.text.length),
      ],
      json: false,
    };
  }
  const args: Argument[] = [];
  for (const word of words) {
    const eq = word.value.indexOf('=');
    if (eq < 0) {
      throw new ParseError(
        `${ctx.keyword} expects name=value pairs, but ${JSON.stringify(word.value)} has no "=": write ${word.value}=VALUE`,
        at(word.offset),
      );
    }
    args.push(
      arg(rest, word.value.slice(0, eq), word.offset),
      arg(rest, word.value.slice(eq + 1), word.offset + eq + 1),
      arg(rest, '=', word.offset + eq),
    );
  }
  return { args, json: false };
};

/** HEALTHCHECK: the type word (CMD, NONE, …), then the command like RUN. */
const healthcheck: Rule = (rest, ctx) => {
  const text = rest.text;
  let sep = 0;
  while (sep < text.length && !isGoSpace(text[sep]!)) sep++;
  if (sep === 0) return NONE;
  let next = sep;
  while (next < text.length && isGoSpace(text[next]!)) next++;
  const command = jsonOrString(rest.slice(next), ctx);
  return { args: [arg(rest, text.slice(0, sep), 0), ...command.args], json: command.json };
};

const onbuild: Rule = (rest) => (rest.text === '' ? NONE : { args: [], json: false, nested: rest });

/** Unknown instructions keep one empty argument, as BuildKit's parser does (the error comes later). */
const ignore: Rule = (rest) => ({ args: [arg(rest, '', 0)], json: false });

const RULES: Record<string, Rule> = {
  add: jsonOrWords,
  arg: nameOrNameValue,
  cmd: jsonOrString,
  copy: jsonOrWords,
  entrypoint: jsonOrString,
  env: nameValue,
  expose: whitespaceDelimited,
  from: whitespaceDelimited,
  healthcheck,
  label: nameValue,
  maintainer: wholeText,
  onbuild,
  run: jsonOrString,
  shell: jsonOrString,
  stopsignal: wholeText,
  user: wholeText,
  volume: jsonOrWords,
  workdir: wholeText,
};

export function parseArguments(name: string, rest: LogicalLine, ctx: ArgumentContext): ParsedArguments {
  return (RULES[name] ?? ignore)(rest, ctx);
}

/** Instructions whose shell form may carry heredocs (ONBUILD through its nested instruction). */
export function acceptsHeredocs(node: Pick<Node, 'name' | 'json' | 'child'>): boolean {
  const target = node.name === 'onbuild' && node.child ? node.child : node;
  return (target.name === 'run' || target.name === 'copy' || target.name === 'add') && !target.json;
}
