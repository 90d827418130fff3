/**
 * Shared setup for the push tests: a real registry behind the fault proxy, stores with tiny
 * images, and a reader that checks what the registry ended up holding, byte by byte.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { request } from 'undici';
import { sha256Of, type Digest } from '../../src/image/digest.js';
import { openRepository, RegistryClient } from '../../src/registry/client.js';
import type { RepositorySession } from '../../src/registry/session.js';
import type { RetryPolicy } from '../../src/registry/transport.js';
import { Store } from '../../src/store/store.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

export interface Rig {
  registry: TestRegistry;
  proxy: FaultProxy;
  /** The registry client push talks through (retries per TEST_SESSION_RETRY). */
  client: RegistryClient;
  /** A session for `repository` behind the proxy, through `client` unless another is given. */
  open(repository: string, client?: RegistryClient): RepositorySession;
  stop(): Promise<void>;
}

/**
 * The session-level retry policy of the rig's client: quick, so fault tests take milliseconds.
 * (push's own retries, for what the session may not retry, come from FAST_RETRY.)
 */
export const TEST_SESSION_RETRY: Partial<RetryPolicy> = { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 };

/**
 * A client that sees no config of this machine: no hull config, no daemon.json, no Docker
 * credentials, no certs.d (the proxy is plain HTTP on loopback, which is insecure-allowed).
 */
export function testClient(retry: Partial<RetryPolicy> = TEST_SESSION_RETRY): RegistryClient {
  // A directory that does not exist: every config file under it is absent.
  const nowhere = '/nonexistent/hull-push-test';
  return new RegistryClient({
    env: { HOME: nowhere, HULL_CONFIG: join(nowhere, 'config.json'), HULL_DOCKER_DAEMON_JSON: join(nowhere, 'daemon.json'), DOCKER_CONFIG: nowhere },
    config: { mirrors: [], insecure: [] },
    certsDirs: [],
    retry,
  });
}

export async function startRig(): Promise<Rig> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.host);
  const client = testClient();
  return {
    registry,
    proxy,
    client,
    open: (repository, other) => openRepository({ registry: proxy.host, repository }, { client: other ?? client }),
    stop: async () => {
      await client.close();
      await proxy.stop();
      await registry.stop();
    },
  };
}

export async function storeWith(image: TinyImage, tag: string): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const dir = await tempDir();
  const store = await Store.open(dir.dir);
  await putImage(store, image);
  await store.tag(tag, image.manifest);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dir.cleanup();
    },
  };
}

/** A two-layer image; `bigLayerBytes` adds a layer of random (incompressible) bytes of about that size. */
export async function sampleImage(label: string, bigLayerBytes = 0): Promise<TinyImage> {
  const layers = [[{ name: 'etc/' + label, content: `hello ${label}\n` }], [{ name: 'usr/share/doc', content: 'x'.repeat(5000) }]];
  if (bigLayerBytes > 0) layers.push([{ name: 'big.bin', content: randomBytes(Math.ceil(bigLayerBytes * 0.75)).toString('base64') }]);
  return tinyImage(layers, 'linux/amd64', label);
}

/** GETs a manifest straight from the registry (no proxy, no hull): status, digest header and bytes. */
export async function fetchManifest(host: string, repo: string, reference: string, accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'): Promise<{ status: number; digest: string | undefined; bytes: Buffer }> {
  const res = await request(`http://${host}/v2/${repo}/manifests/${reference}`, { headers: { accept } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const digest = res.headers['docker-content-digest'];
  return { status: res.statusCode, digest: typeof digest === 'string' ? digest : undefined, bytes };
}

/** Downloads every blob of `image` from the registry and checks its digest: the pushed image is whole. */
export async function verifyBlobs(host: string, repo: string, image: TinyImage): Promise<void> {
  for (const d of [image.config, ...image.layers]) {
    const res = await request(`http://${host}/v2/${repo}/blobs/${d.digest}`);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`blob ${d.digest}: ${res.statusCode}`);
    if (sha256Of(bytes) !== (d.digest as Digest) || bytes.length !== d.size) throw new Error(`blob ${d.digest} came back as ${sha256Of(bytes)} (${bytes.length} bytes)`);
  }
}

export const FAST_RETRY = { baseDelayMs: 20, attempts: 4 };
