/**
 * Running RUN steps: a rootfs over layer snapshots (overlayfs, or the copy snapshotter where
 * overlayfs cannot be mounted), an OCI runtime (crun, runc) fed a generated config.json, or the
 * unshare+chroot fallback; resolv.conf/hosts/hostname injected and never committed. The step's
 * upper dir is the layer diff (see layer/writeLayer, whiteouts: overlay).
 */
export { runStep, type RunStepOptions, type StepResult } from './run.js';
export { selectRuntime, RUNTIME_NAMES, type Runtime, type RuntimeName } from './runtime.js';
export { buildSpec, writeBundle, DEFAULT_CAPABILITIES, DEFAULT_PATH, type BundleOptions, type NetworkMode } from './bundle.js';
export { resolveUser, resolveUserFrom, type ExecUser } from './user.js';
export { mountRootfs, probeSnapshotter, type MountedRootfs, type RootfsOptions, type Snapshotter } from './rootfs.js';
export { registerCleanup, runPendingCleanups, pendingCleanups } from './cleanup.js';
export type { OciSpec, OciMount } from './spec.js';
