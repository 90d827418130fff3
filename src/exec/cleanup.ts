/**
 * A process-wide registry of things to undo (overlay mounts, containers, temp dirs). Each entry is
 * undone by its owner in the normal path; the registry exists for the abnormal ones: on SIGINT /
 * SIGTERM and at process exit the remaining entries run synchronously (a signal handler cannot
 * await), so an interrupted build leaves no mount and no temp dir behind.
 */
const pending = new Map<number, () => void>();
let nextId = 1;
let installed = false;

/** Registers a synchronous undo action; the returned function unregisters it (call it once the owner has cleaned up). */
export function registerCleanup(undo: () => void): () => void {
  install();
  const id = nextId++;
  pending.set(id, undo);
  return () => {
    pending.delete(id);
  };
}

/** Runs every pending action, newest first (a container before the mount it runs on). */
export function runPendingCleanups(): void {
  const actions = [...pending.entries()].reverse();
  pending.clear();
  for (const [, undo] of actions) {
    try {
      undo();
    } catch {
      // Best effort: one failed undo must not keep the others from running.
    }
  }
}

/** How many actions are pending (tests check that a step leaves none). */
export function pendingCleanups(): number {
  return pending.size;
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runPendingCleanups);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      runPendingCleanups();
      process.removeListener(signal, onSignal);
      // Our listener disabled the default action; with nobody else listening, die of the signal as expected.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
