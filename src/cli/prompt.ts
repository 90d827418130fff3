import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { HullError } from '../errors.js';

export interface Question {
  text: string;
  /** Not echoed (a password). */
  secret?: boolean;
}

/**
 * Asks questions on the terminal, one line each; secrets are not echoed. Lines are read from
 * the interface's own queue, so answers typed ahead (arriving in one chunk) are not lost.
 * Ctrl+C or Ctrl+D cancels. `hull login` uses it when the command line gives no credentials.
 */
export async function ask(questions: readonly Question[]): Promise<string[]> {
  let muted = false;
  // readline echoes keystrokes through `output`: while a secret is read they are swallowed.
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  rl.on('SIGINT', () => rl.close());
  const lines = rl[Symbol.asyncIterator]();
  const answers: string[] = [];
  try {
    for (const q of questions) {
      rl.setPrompt(q.text);
      rl.prompt();
      muted = q.secret === true;
      const line = await lines.next();
      if (muted) process.stderr.write('\n');
      muted = false;
      if (line.done) throw new HullError('login cancelled at the prompt');
      answers.push(line.value.trim());
    }
    return answers;
  } finally {
    rl.close();
  }
}
