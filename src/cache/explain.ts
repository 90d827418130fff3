/**
 * Why a step was rebuilt: its record against the same step of the previous build of the same
 * Dockerfile. The first difference along the step's chain (FROM, then each step of the stage)
 * is the cause: a base image digest, an edited instruction, a build arg or env value, a context
 * file (added, removed, content, mode), another input (a download, a `--from` stage).
 */
import type { DigestInput } from '../context/hash.js';
import type { BuildRecord, StepRecord } from './build-records.js';

const MAX_FILES = 5;

/** The reason `step` (not cached) was rebuilt, given this build's records so far and the previous build. */
export function explainMiss(step: StepRecord, current: readonly StepRecord[], previous: BuildRecord | undefined): string {
  if (previous === undefined) return 'no previous build of this Dockerfile to compare with';
  const before = (s: StepRecord): StepRecord | undefined => previous.steps.find((p) => p.stage === s.stage && p.index === s.index);
  const old = before(step);
  if (old === undefined) return `new step: the previous build had no step ${step.index} in stage ${step.stage}`;
  if (old.key === step.key) return 'same inputs as the previous build, but its result is no longer in the cache (pruned, --no-cache, or another machine)';
  const chain = current.filter((s) => s.stage === step.stage && s.index <= step.index).sort((a, b) => a.index - b.index);
  for (const s of chain) {
    const p = before(s);
    if (p === undefined) return `step ${s.index} of stage ${s.stage} (line ${s.line}) is new`;
    if (p.key === s.key) continue;
    const cause = ownCause(s, p);
    if (cause === undefined) continue;
    return s === step ? cause : `an earlier step was rebuilt: line ${s.line} (${s.text}): ${cause}`;
  }
  return 'its inputs differ from the previous build';
}

/** What differs in the step itself, or undefined when only its parent differs. */
function ownCause(s: StepRecord, p: StepRecord): string | undefined {
  if (s.index === 0) {
    if (s.base !== p.base) return `the base image changed: now ${s.base}, was ${p.base}`;
    return s.key === p.key ? undefined : 'the platform or base changed';
  }
  if (s.instruction !== p.instruction) return `the instruction changed at line ${s.line}${p.line !== s.line ? ` (was line ${p.line})` : ''}: ${s.text}`;
  const vars = changedVars(s.env, p.env);
  if (vars.length > 0) return `build arg or env changed: ${vars.join(', ')}`;
  const files = changedFiles(s.files ?? [], p.files ?? []);
  if (files.length > 0) return `files changed: ${files.slice(0, MAX_FILES).join(', ')}${files.length > MAX_FILES ? ` and ${files.length - MAX_FILES} more` : ''}`;
  const was = new Set(p.content ?? []);
  const changed = (s.content ?? []).filter((c) => !was.has(c));
  if (changed.some((c) => c.startsWith('from:'))) return 'the stage or image it copies or mounts from (--from) was rebuilt or changed';
  if (changed.length > 0) return 'a source outside the context changed (a download or a git ref)';
  return undefined;
}

function changedVars(now: Record<string, string>, was: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, hash] of Object.entries(now)) {
    if (!(name in was)) out.push(`${name} (new)`);
    else if (was[name] !== hash) out.push(name);
  }
  for (const name of Object.keys(was)) if (!(name in now)) out.push(`${name} (unset)`);
  return out;
}

function changedFiles(now: readonly DigestInput[], was: readonly DigestInput[]): string[] {
  const old = new Map(was.map((f) => [f.path, f]));
  const out: string[] = [];
  for (const f of now) {
    const o = old.get(f.path);
    old.delete(f.path);
    if (o === undefined) out.push(`${f.path} (added)`);
    else if (o.type !== f.type) out.push(`${f.path} (now a ${f.type})`);
    else if (o.hash !== f.hash || o.linkTarget !== f.linkTarget) out.push(`${f.path} (content)`);
    else if (o.mode !== f.mode) out.push(`${f.path} (mode ${o.mode.toString(8)} → ${f.mode.toString(8)})`);
  }
  for (const path of old.keys()) out.push(`${path} (removed)`);
  return out;
}
