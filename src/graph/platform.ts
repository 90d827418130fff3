/**
 * Just enough of OCI platforms for the predefined ARGs (TARGETPLATFORM, BUILDARCH, …). The
 * image module owns full platform matching; the graph only needs names and the host default.
 */
import { readFileSync } from 'node:fs';
import { HullError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  /** `v7` for linux/arm/v7; absent when the architecture has none. */
  variant?: string;
}

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
  i686: '386',
};

/** `linux/arm64`, `linux/arm/v7`, `amd64` (os defaults to linux). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new HullError(`invalid platform "${text}": write it as os/arch[/variant], such as linux/arm64 or linux/arm/v7`);
  }
  const [os, arch, variant] = parts.length === 1 ? ['linux', parts[0]!, undefined] : [parts[0]!, parts[1]!, parts[2]];
  return normalize({ os, architecture: arch, ...(variant ? { variant } : {}) });
}

function normalize(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (p.architecture === 'armhf') variant ??= 'v7';
  if (p.architecture === 'armel') variant ??= 'v6';
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (variant !== undefined && /^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant ? { os: p.os, architecture, variant } : { os: p.os, architecture };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The machine hull runs on. A Raspberry Pi's 32-bit userland reports `arm`; the CPU
 * generation (6 on a Pi Zero/1, 7 on a Pi 2 and later) picks the variant, as BuildKit's
 * archvariant does.
 */
export function hostPlatform(readCpuinfo: () => string = defaultCpuinfo): Platform {
  const os = process.platform === 'win32' ? 'windows' : 'linux';
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  if (architecture !== 'arm') return { os, architecture };
  return { os, architecture, variant: armVariant(readCpuinfo()) };
}

/** `CPU architecture: 6` → v6; 7 or a 64-bit core (8) running 32-bit code → v7. */
export function armVariant(cpuinfo: string): string {
  const m = /^CPU architecture\s*:\s*(\d+)/m.exec(cpuinfo);
  if (m && Number(m[1]) <= 6) return 'v6';
  return 'v7';
}

function defaultCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** The eight predefined platform ARGs for a target and a build platform. */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
  ]);
}
