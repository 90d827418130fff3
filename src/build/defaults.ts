/**
 * What a stage gets when the Dockerfile and its base image say nothing: the PATH RUN needs
 * (BEHAVIOURS 10) and the shell that runs shell-form commands (BEHAVIOURS 21).
 */
import type { ImageConfig } from '../image/config.js';

/** Docker's default PATH for Linux containers (moby's `system.DefaultPathEnv`). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Shell form runs through this unless a SHELL instruction (or the base image) says otherwise. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/**
 * The base config with PATH added when it has none, as BuildKit does before a stage's first
 * step; Windows is left alone because its PATH belongs to the OS.
 */
export function withDefaultPath(image: ImageConfig): ImageConfig {
  const env = image.config?.Env ?? [];
  if (image.os === 'windows' || env.some((e) => e === 'PATH' || e.startsWith('PATH='))) return image;
  return { ...image, config: { ...image.config, Env: [...env, `PATH=${DEFAULT_PATH}`] } };
}
