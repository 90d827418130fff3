/**
 * Step cache keys. A step's key is a sha256 over its parent's key and everything that can change
 * its result: the instruction after expansion, the variables it can see, the platform, and for
 * COPY/ADD/RUN-mounts a digest of exactly the content they read. Equal keys mean "same result",
 * on any machine: keys travel through registry cache exports.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../image/canonical.js';

/** Bumped when what goes into a key changes, so old records are never matched by mistake. */
const KEY_VERSION = 1;

export interface StepKeyInputs {
  /** The previous step's key, or the stage's start key. */
  parent: string;
  /** `linux/arm/v7`. */
  platform: string;
  /** The instruction module's canonical JSON of the expanded instruction. */
  instruction: string;
  /** `KEY=value` the step can see, sorted. */
  env: readonly string[];
  /** Digests of what the step reads besides its parent (context files, other stages, downloads). */
  content?: readonly string[];
}

export function stepKey(inputs: StepKeyInputs): string {
  return sha256(canonicalJson({ v: KEY_VERSION, ...inputs, content: inputs.content ?? [] }));
}

/** The key a stage starts from: its base image's manifest digest, `scratch`, or a parent stage's last key. */
export function startKey(base: { image: string } | { scratch: true } | { stage: string }, platform: string): string {
  return sha256(canonicalJson({ v: KEY_VERSION, base, platform }));
}

function sha256(text: Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
