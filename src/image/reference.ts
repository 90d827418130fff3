/**
 * Image references as Docker reads them (the distribution/reference grammar and its
 * normalisation): `alpine` is `docker.io/library/alpine:latest`, `user/app` is
 * `docker.io/user/app:latest`, `localhost:5000/x` stays on localhost:5000.
 *
 *   reference  := name [":" tag] ["@" digest]
 *   name       := [domain "/"] path
 *   domain     := host [":" port]       host: DNS-like labels, or an IPv6 address in brackets
 *   path       := component ("/" component)*
 *   component  := [a-z0-9]+ (separator [a-z0-9]+)*      separator: "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first path segment is a domain only when it is `localhost`, contains "." or ":", or has
 * an uppercase letter (Docker's rule, so `myhost/app` is a Docker Hub user, not a registry).
 * Parsing is done by hand, segment by segment, so each error can say which part is wrong.
 */
import { digestProblem, type Digest } from './digest.js';
import { InvalidReferenceError } from './errors.js';

export interface ImageReference {
  /** The registry: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** The repository within the registry: `library/alpine`, `user/app`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

export interface ParseReferenceOptions {
  /** Add `:latest` when the reference has neither a tag nor a digest (default true, as Docker does). */
  defaultTag?: boolean;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const MAX_PATH = 255;
const MAX_TAG = 128;

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const TAG = /^[\w][\w.-]*$/;

/** Parses and normalises a reference; throws InvalidReferenceError saying what is wrong. */
export function parseReference(text: string, options: ParseReferenceOptions = {}): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(text, reason);
  };
  if (text === '') fail('the reference is empty');
  const space = /\s/.exec(text);
  if (space) fail(`it contains whitespace at position ${space.index + 1}`);
  if (text.includes('://')) fail('leave out the URL scheme: write registry.example.com/repository:tag');
  if (/^[a-f0-9]{64}$/.test(text)) fail('64 hexadecimal digits are an image ID, not a repository name (write sha256:<id> to name an image by ID)');

  let rest = text;
  let digest: Digest | undefined;
  const at = text.indexOf('@');
  if (at >= 0) {
    const digestText = text.slice(at + 1);
    rest = text.slice(0, at);
    if (digestText.includes('@')) fail('it has more than one "@"');
    const problem = digestProblem(digestText);
    if (problem) fail(`digest "${digestText}": ${problem}`);
    digest = digestText as Digest;
  }
  if (rest === '' || rest.startsWith(':')) fail(`the repository name is missing before "${rest === '' ? '@' : ':'}"`);

  const { domain, remainder } = splitDomain(rest);
  const colon = remainder.indexOf(':');
  const path = colon < 0 ? remainder : remainder.slice(0, colon);
  const tag = colon < 0 ? undefined : remainder.slice(colon + 1);

  checkDomain(domain, fail);
  const ref: ImageReference = { domain: domain === LEGACY_DOMAIN ? DEFAULT_DOMAIN : domain, path };
  if (ref.domain === DEFAULT_DOMAIN && path !== '' && !path.includes('/')) ref.path = OFFICIAL_PREFIX + path;
  checkPath(path, ref.path, fail);
  if (tag !== undefined) checkTag(tag, fail);

  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined && options.defaultTag !== false) ref.tag = DEFAULT_TAG;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: name };
  const first = name.slice(0, slash);
  const isDomain = first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase();
  return isDomain ? { domain: first, remainder: name.slice(slash + 1) } : { domain: DEFAULT_DOMAIN, remainder: name };
}

function checkDomain(domain: string, fail: (reason: string) => never): void {
  const portAt = domain.startsWith('[') ? domain.indexOf(':', domain.indexOf(']')) : domain.indexOf(':');
  const host = portAt < 0 ? domain : domain.slice(0, portAt);
  const port = portAt < 0 ? undefined : domain.slice(portAt + 1);
  if (port !== undefined && !/^[0-9]+$/.test(port)) {
    fail(`registry "${domain}": the port must be a number${port === '' ? ', and it is empty' : `, not "${port}"`}`);
  }
  if (host.startsWith('[')) {
    if (!IPV6.test(host)) fail(`registry "${domain}": an IPv6 address in brackets may hold only hex digits and ":" (no zone)`);
    return;
  }
  const bad = host.split('.').find((label) => !DOMAIN_LABEL.test(label));
  if (bad !== undefined) {
    fail(`registry "${domain}": ${bad === '' ? 'a host name label is empty' : `"${bad}" is not a valid host name label (letters, digits and inner "-")`}`);
  }
}

/** `path` as written; `full` with Docker Hub's `library/` added, which counts towards the limit. */
function checkPath(path: string, full: string, fail: (reason: string) => never): void {
  if (path === '') fail('the repository name is empty');
  if (full.length > MAX_PATH) fail(`the repository path "${full.slice(0, 20)}…" is ${full.length} characters long; the limit is ${MAX_PATH}`);
  for (const component of path.split('/')) {
    if (component === '') fail(`repository "${path}" has an empty path component (a leading, trailing or doubled "/")`);
    if (COMPONENT.test(component)) continue;
    if (COMPONENT.test(component.toLowerCase())) fail(`repository name "${path}" must be lowercase`);
    fail(
      `"${component}" is not a valid repository path component: use lowercase letters and digits, ` +
        'joined by ".", "_", "__" or dashes, starting and ending with a letter or digit',
    );
  }
}

function checkTag(tag: string, fail: (reason: string) => never): void {
  if (tag === '') fail('the tag after ":" is empty');
  if (tag.length > MAX_TAG) fail(`the tag is ${tag.length} characters long; the limit is ${MAX_TAG}`);
  if (!TAG.test(tag)) {
    fail(`tag "${tag}" may contain only letters, digits, "_", "." and "-", and must not start with "." or "-"`);
  }
}

/** `docker.io/library/alpine:latest`, `localhost:5000/x@sha256:…`: the full, normalised form. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The repository without tag or digest: `docker.io/library/alpine`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The repository as Docker shows it: `alpine`, `user/app`, `localhost:5000/x`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  const rest = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : undefined;
  return rest !== undefined && !rest.includes('/') ? rest : ref.path;
}

/** The whole reference as Docker shows it: `alpine:latest`, `user/app@sha256:…`. */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `text` parsed, normalised and formatted: `alpine` → `docker.io/library/alpine:latest`. */
export function normalizeReference(text: string, options: ParseReferenceOptions = {}): string {
  return formatReference(parseReference(text, options));
}

/** The same repository with another tag (and no digest). */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  checkTag(tag, (reason) => {
    throw new InvalidReferenceError(`${repositoryName(ref)}:${tag}`, reason);
  });
  return { domain: ref.domain, path: ref.path, tag };
}

/** The same repository pinned to a digest (the tag, if any, kept as Docker keeps it). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  const problem = digestProblem(digest);
  if (problem) throw new InvalidReferenceError(`${repositoryName(ref)}@${digest}`, `digest "${digest}": ${problem}`);
  return { ...ref, digest: digest as Digest };
}

export function isValidTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= MAX_TAG && TAG.test(tag);
}
