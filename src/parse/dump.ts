import type { Dockerfile, Node } from './ast.js';

/**
 * BuildKit's parse-tree dump (`Node.Dump`): one `(keyword ["flags"] "arg" ...)` line per
 * instruction. `hull parse --dump` prints it and the conformance tests compare it byte for byte.
 */
export function dumpDockerfile(dockerfile: Dockerfile): string {
  return `${dockerfile.nodes.map((n) => `(${dumpNode(n)})`).join('\n')}\n`;
}

function dumpNode(node: Node): string {
  let out = node.name;
  if (node.flags.length > 0) out += ` [${node.flags.map((f) => goQuote(f.raw)).join(' ')}]`;
  if (node.child) out += ` (${dumpNode(node.child)})`;
  for (const a of node.args) out += ` ${goQuote(a.value)}`;
  return out.trim();
}

const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

/** Go's strconv.Quote: printable runes as they are, everything else escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (code === 0x20 || (code > 0x20 && code < 0x7f)) out += ch;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (code > 0xffff) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}
