/**
 * undici, loaded the first time a request is made, and only the parts hull uses: its agents and
 * its request API. The package's index loads all of undici (fetch, WebSocket, caches, mocks):
 * 64–77 ms on every push and pull here, against ~31 ms for an Agent and `request`. A build
 * served from the cache, or one whose bases are all in the store, loads none of it.
 */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

type Undici = typeof import('undici');

const load = createRequire(import.meta.url);

export function agentClass(): Undici['Agent'] {
  return load('undici/lib/dispatcher/agent.js') as Undici['Agent'];
}

/** An agent taking HTTP_PROXY, HTTPS_PROXY and NO_PROXY from the environment. */
export function envProxyAgentClass(): Undici['EnvHttpProxyAgent'] {
  return load('undici/lib/dispatcher/env-http-proxy-agent.js') as Undici['EnvHttpProxyAgent'];
}

type RequestApi = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export type RequestInit = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher };

/** undici's `request(url, options)`, through the dispatcher given (undici's index adds the same wrapper). */
export function request(url: string | URL, init: RequestInit): Promise<Dispatcher.ResponseData> {
  const api = load('undici/lib/api/api-request.js') as RequestApi;
  const target = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher, ...options } = init;
  return api.call(dispatcher, { ...options, origin: target.origin, path: `${target.pathname}${target.search}` });
}
