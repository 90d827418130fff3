import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveArchive } from '../../archive/index.js';
import { MAX_SECRET_SIZE, type Secret } from '../../build/secrets.js';
import type { ImageFormat } from '../../build/image-writer.js';
import { build, type BuildResult } from '../../build/solver.js';
import { parseCacheSpec } from '../cache-spec.js';
import { UsageError } from '../../errors.js';
import { formatReference, parseReference, repositoryName, type ImageReference } from '../../image/reference.js';
import { createRenderer, PROGRESS_MODES, type ProgressMode } from '../../progress/index.js';
import { openRepository } from '../../registry/client.js';
import { push } from '../../registry/push.js';
import type { NetworkMode } from '../../exec/bundle.js';
import type { Store } from '../../store/store.js';
import { COMPRESSION_OPTIONS, COMPRESSION_USAGE, parseCompression } from '../compression.js';
import { csvFields, keyValues, parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';
import { writeToFile } from '../write-out.js';

/** One `--output`: where the built image goes besides the store. */
export type Output = { type: 'image'; push: boolean } | { type: 'registry' } | { type: 'oci' | 'docker'; dest: string };

export const buildCommand: Command = {
  summary: 'Build an image from a Dockerfile',
  usage: `Usage: hull build [OPTIONS] CONTEXT

Build the Dockerfile in CONTEXT (or the one -f names) into an image in the store.

Options:
  -f, --file FILE          the Dockerfile (default: CONTEXT/Dockerfile; - reads standard input)
  -t, --tag NAME:TAG       name the image (repeat for several names)
      --build-arg K=V      set a build argument (repeat; K alone takes $K from the environment)
      --target STAGE       build this stage instead of the last one
      --label K=V          add a label to the image (repeat)
      --platform P[,P…]    build for these platforms, e.g. linux/amd64,linux/arm/v7,linux/arm64:
                           one image each (RUN through qemu for foreign ones) and one index
                           over them (default: this machine's platform)
      --format F           oci (default): OCI manifests and index; docker: Docker schema 2
                           manifests and a manifest list
      --pull               ask the registry for newer base images even when the store has them
      --no-cache           rebuild every step
      --no-cache-filter S  rebuild the steps of stage S (repeat, or S1,S2)
      --explain            say for every rebuilt step why the cache could not serve it
      --cache-from SPEC    import a cache: type=registry,ref=REG/REPO:TAG or type=local,src=DIR
      --cache-to SPEC      export this build's cache: type=registry,ref=REG/REPO:TAG[,mode=min|max]
                           or type=local,dest=DIR[,mode=…] (format: docs/CACHE.md)
      --network MODE       RUN's network when a RUN does not say: host (default) or none
      --runtime NAME       crun, runc or chroot (default: the first that works here)
      --secret SPEC        a secret for RUN --mount=type=secret (repeat): id=ID,src=FILE or
                           id=ID,env=VARIABLE; id=ID alone takes $ID, else the file ID
${COMPRESSION_USAGE}
  -o, --output SPEC        type=image (default), type=registry, type=oci,dest=FILE or
                           type=docker,dest=FILE (a tarball for 'docker load'); repeatable
      --push               also push every -t name (same as --output type=registry)
      --iidfile FILE       write the image ID to FILE (its config digest; for several
                           platforms, the index digest)
  -q, --quiet              print only the image ID
      --progress MODE      auto, tty, plain, json or quiet (default: auto; written to stderr)
${ROOT_USAGE}

Example: hull build -t 127.0.0.1:5000/app:1 --push .`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      file: { type: 'string', short: 'f' },
      tag: { type: 'string', short: 't', multiple: true },
      'build-arg': { type: 'string', multiple: true },
      target: { type: 'string' },
      label: { type: 'string', multiple: true },
      platform: { type: 'string', multiple: true },
      format: { type: 'string', default: 'oci' },
      pull: { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      'no-cache-filter': { type: 'string', multiple: true },
      explain: { type: 'boolean' },
      'cache-from': { type: 'string', multiple: true },
      'cache-to': { type: 'string', multiple: true },
      network: { type: 'string', default: 'host' },
      runtime: { type: 'string' },
      secret: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o', multiple: true },
      push: { type: 'boolean' },
      iidfile: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      progress: { type: 'string', default: 'auto' },
      ...COMPRESSION_OPTIONS,
    });
    if (positionals.length !== 1) throw new UsageError('give one build context directory');
    const mode = (values.quiet ? 'quiet' : values.progress) as ProgressMode;
    if (!PROGRESS_MODES.includes(mode)) throw new UsageError(`--progress ${values.progress}: use auto, tty, plain, json or quiet`);
    if (values.network !== 'host' && values.network !== 'none') throw new UsageError(`--network ${values.network}: use host or none`);
    if (values.format !== 'oci' && values.format !== 'docker') throw new UsageError(`--format ${values.format}: use oci or docker`);
    const tags = (values.tag ?? []).map((t) => parseTag(t));
    const outputs = (values.output ?? []).map(parseOutput);
    if (outputs.length === 0) outputs.push({ type: 'image', push: false });
    if (values.push) outputs.push({ type: 'registry' });
    if (outputs.some((o) => o.type === 'registry' || (o.type === 'image' && o.push)) && tags.length === 0) {
      throw new UsageError('pushing needs a name: give -t REGISTRY/REPOSITORY:TAG');
    }
    const { compression, level } = parseCompression(values);
    const secrets = await checkSecretFiles(new Map((values.secret ?? []).map((spec) => parseSecret(spec, process.env))));
    const contextDir = positionals[0]!;
    const dockerfile = values.file === '-' ? 'Dockerfile' : (values.file ?? join(contextDir, 'Dockerfile'));
    // Read here so an error report can quote the line; a missing file is the solver's to report.
    const text = values.file === '-' ? await io.stdin() : await readFile(dockerfile, 'utf8').catch(() => undefined);
    if (text !== undefined) io.sources.set(dockerfile, text);

    const renderer = createRenderer(mode, io.err);
    const epoch = process.env.SOURCE_DATE_EPOCH;
    await withStore(values.root, async (store) => {
      let result: BuildResult;
      try {
        result = await build({
          store,
          contextDir,
          dockerfile,
          ...(text !== undefined ? { dockerfileText: text } : {}),
          ...(values.target !== undefined ? { target: values.target } : {}),
          buildArgs: Object.fromEntries(keyValues(values['build-arg'], '--build-arg', process.env)),
          labels: Object.fromEntries(keyValues(values.label, '--label', {})),
          platforms: (values.platform ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== ''),
          format: values.format as ImageFormat,
          pull: values.pull === true,
          noCache: values['no-cache'] === true,
          noCacheFilter: (values['no-cache-filter'] ?? []).flatMap((f) => f.split(',')).filter((f) => f !== ''),
          explain: values.explain === true || mode === 'json',
          cacheFrom: (values['cache-from'] ?? []).map((spec) => parseCacheSpec(spec, 'from')),
          cacheTo: (values['cache-to'] ?? []).map((spec) => parseCacheSpec(spec, 'to')),
          network: values.network as NetworkMode,
          ...(values.runtime !== undefined ? { runtime: values.runtime } : {}),
          secrets,
          compression,
          ...(level !== undefined ? { compressionLevel: level } : {}),
          ...(epoch !== undefined && /^\d+$/.test(epoch) ? { sourceDateEpoch: Number(epoch) } : {}),
          onEvent: (e) => renderer.onEvent(e),
        });
      } finally {
        renderer.finish();
      }
      await deliver(store, result, tags, outputs, (line) => {
        if (mode !== 'quiet') io.err(`${line}\n`);
      });
      // One image is named by its config digest; a multi-platform one by its index, as buildx does.
      const id = result.images.length > 1 ? result.manifest.digest : result.config.digest;
      if (values.iidfile !== undefined) await writeFile(values.iidfile, id);
      if (values.quiet) io.out(`${id}\n`);
    });
    return 0;
  },
};

function parseTag(text: string): ImageReference {
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw new UsageError(`-t ${text}: ${(err as Error).message}`);
  }
  if (ref.digest !== undefined) throw new UsageError(`-t ${text}: a name takes a tag, not a digest`);
  return ref;
}

/** `type=oci,dest=out.tar` → an Output; Docker's spellings, with `dest` required for files. */
export function parseOutput(spec: string): Output {
  const fields = new Map(csvFields(spec, (part) => new UsageError(`--output ${spec}: write type=…[,dest=…] (${part} has no "=")`)));
  const type = fields.get('type');
  const allowed = (keys: readonly string[]): void => {
    for (const key of fields.keys()) if (key !== 'type' && !keys.includes(key)) throw new UsageError(`--output ${spec}: ${key} is not an option of type=${type}`);
  };
  switch (type) {
    case 'image':
      allowed(['push']);
      return { type: 'image', push: fields.get('push') === 'true' };
    case 'registry':
      allowed([]);
      return { type: 'registry' };
    case 'oci':
    case 'docker': {
      allowed(['dest']);
      const dest = fields.get('dest');
      if (dest === undefined || dest === '') throw new UsageError(`--output ${spec}: give dest=FILE`);
      return { type, dest };
    }
    default:
      throw new UsageError(`--output ${spec}: type must be image, registry, oci or docker`);
  }
}

/**
 * `--secret id=ID,src=FILE` / `id=ID,env=VARIABLE` → [ID, Secret], in buildx's words: `source`
 * spells `src`, `type=file|env` may say which (with type=env, `src` names the variable), and with
 * neither the secret is the variable ID if `env` has it, else the file ID. Messages never repeat
 * the spec: a value pasted into it by mistake must not be printed.
 */
export function parseSecret(spec: string, env: NodeJS.ProcessEnv): [string, Secret] {
  const fields = new Map<string, string>();
  for (const [name, value] of csvFields(spec, () => new UsageError('--secret: write id=ID,src=FILE or id=ID,env=VARIABLE (every field is key=value)'))) {
    const key = name.toLowerCase();
    if (!['type', 'id', 'src', 'source', 'env'].includes(key)) throw new UsageError(`--secret: unknown field "${key}"; use id, src (or source), env and type`);
    fields.set(key === 'source' ? 'src' : key, value);
  }
  const id = fields.get('id');
  if (!id) throw new UsageError('--secret: give the secret an id: id=ID,src=FILE or id=ID,env=VARIABLE');
  const type = fields.get('type');
  const src = fields.get('src');
  const variable = fields.get('env');
  switch (type) {
    case 'env':
      return [id, { env: variable ?? src ?? id }];
    case 'file':
      if (variable !== undefined) throw new UsageError(`--secret id=${id}: type=file reads a file; drop env= or use type=env`);
      return [id, { file: src ?? id }];
    case undefined:
      // As buildx's file store: a file wins over a variable when both are named.
      if (src !== undefined) return [id, { file: src }];
      if (variable !== undefined) return [id, { env: variable }];
      return [id, env[id] !== undefined ? { env: id } : { file: id }];
    default:
      throw new UsageError(`--secret id=${id}: type must be file or env`);
  }
}

/** Files are checked before the build, as buildx does: a wrong path should not wait for its RUN. */
async function checkSecretFiles(secrets: Map<string, Secret>): Promise<Map<string, Secret>> {
  for (const [id, secret] of secrets) {
    if (!('file' in secret)) continue;
    const info = await stat(secret.file).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--secret id=${id}: cannot read ${secret.file} (${err.code ?? err.message})`);
    });
    if (!info.isFile()) throw new UsageError(`--secret id=${id}: ${secret.file} is not a file`);
    if (info.size > MAX_SECRET_SIZE) throw new UsageError(`--secret id=${id}: ${secret.file} has ${info.size} bytes; a secret may have at most ${MAX_SECRET_SIZE} (500 KiB)`);
  }
  return secrets;
}

/** Tags the image in the store, then writes archives and pushes as the outputs ask. */
async function deliver(store: Store, result: BuildResult, tags: readonly ImageReference[], outputs: readonly Output[], note: (line: string) => void): Promise<void> {
  for (const tag of tags) {
    await store.tag(tag, result.manifest);
    note(`naming to ${formatReference(tag)} done`);
  }
  // Untagged, the image would be the next prune's garbage before the user could name it.
  if (tags.length === 0) await store.hold(`build:${result.manifest.digest}`, { blobs: [result.manifest.digest] });
  note(result.images.length > 1 ? `image index ${result.manifest.digest} (${result.images.map((i) => i.platform).join(', ')})` : `image ID ${result.config.digest}`);
  const name = tags.length > 0 ? formatReference(tags[0]!) : result.manifest.digest;
  for (const output of outputs) {
    if (output.type === 'oci' || output.type === 'docker') {
      await writeToFile(await saveArchive(store, [name], { format: output.type }), output.dest);
      note(`exported ${output.type} archive ${output.dest}`);
    } else if (output.type === 'registry' || (output.type === 'image' && output.push)) {
      await pushTags(store, result, tags, note);
    }
  }
}

/** One push per repository, carrying all of its tags. */
async function pushTags(store: Store, result: BuildResult, tags: readonly ImageReference[], note: (line: string) => void): Promise<void> {
  const byRepository = new Map<string, ImageReference[]>();
  for (const tag of tags) byRepository.set(repositoryName(tag), [...(byRepository.get(repositoryName(tag)) ?? []), tag]);
  for (const refs of byRepository.values()) {
    const first = refs[0]!;
    const session = openRepository({ registry: first.domain, repository: first.path });
    const pushed = await push(store, result.manifest.digest, { session, tags: refs.map((r) => r.tag ?? 'latest') });
    for (const ref of refs) note(`pushed ${formatReference(ref)} ${pushed.descriptor.digest}`);
  }
}
