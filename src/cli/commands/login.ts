import { HullError, UsageError } from '../../errors.js';
import { DEFAULT_DOMAIN } from '../../image/reference.js';
import { RegistryClient } from '../../registry/client.js';
import { eraseCredentials, storeCredentials } from '../../registry/credentials.js';
import { binaryStreams } from '../binary.js';
import { parseOptions } from '../options.js';
import { ask, type Question } from '../prompt.js';
import type { Command } from '../types.js';

/** `https://index.docker.io/v1/`, `docker.io`, `https://host:5000` → the registry name hull uses. */
export function registryArgument(text: string | undefined): string {
  if (text === undefined) return DEFAULT_DOMAIN;
  const host = text.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? text;
  return ['index.docker.io', 'registry-1.docker.io', DEFAULT_DOMAIN].includes(host) ? DEFAULT_DOMAIN : host;
}

export const loginCommand: Command = {
  summary: 'Log in to a registry',
  usage: `Usage: hull login [OPTIONS] [REGISTRY]

Check the credentials against REGISTRY (default: Docker Hub), then store them in the Docker
config (~/.docker/config.json, mode 0600) or the configured credential helper.

Options:
  -u, --username USER      the user name (asked for on a terminal when not given)
  -p, --password PASS      the password (prefer --password-stdin: a command line is visible to others)
      --password-stdin     read the password from standard input`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError('give at most one registry');
    const registry = registryArgument(positionals[0]);
    if (values['password-stdin'] && values.password !== undefined) throw new UsageError('--password and --password-stdin exclude each other');
    // Like docker: what the command line does not say is asked for on a terminal.
    const terminal = !values['password-stdin'] && binaryStreams(io).stdinIsTTY;
    const questions: Question[] = [];
    if (terminal && values.username === undefined) questions.push({ text: 'Username: ' });
    if (terminal && values.password === undefined) questions.push({ text: 'Password: ', secret: true });
    const answers = questions.length > 0 ? await ask(questions) : [];
    const username = values.username ?? (terminal ? answers.shift() : undefined);
    if (username === undefined || username === '') throw new UsageError('give the user name with -u (standard input is not a terminal to ask on)');
    const password = values['password-stdin'] ? (await io.stdin()).replace(/\r?\n$/, '') : (values.password ?? answers.shift());
    if (password === undefined || password === '') throw new UsageError('give the password with --password-stdin (or -p)');

    // Check first, as docker does: bad credentials are never stored.
    const client = new RegistryClient({ credentials: { username, password } });
    try {
      const res = await client.openRepository({ registry, repository: '' }).request({ method: 'GET', path: '/v2/', access: 'pull' });
      res.body.resume();
      if (res.status !== 200) throw new HullError(`login to ${registry} failed: GET /v2/ answered ${res.status}`);
    } finally {
      await client.close();
    }
    const where = await storeCredentials(registry, { username, password });
    io.out(`Credentials saved in ${where}\nLogin Succeeded\n`);
    return 0;
  },
};

export const logoutCommand: Command = {
  summary: 'Forget the credentials of a registry',
  usage: `Usage: hull logout [REGISTRY]

Remove the stored credentials of REGISTRY (default: Docker Hub).`,
  async run(args, io) {
    const { positionals } = parseOptions(args, {});
    if (positionals.length > 1) throw new UsageError('give at most one registry');
    const registry = registryArgument(positionals[0]);
    const removed = await eraseCredentials(registry);
    io.out(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
    return 0;
  },
};
