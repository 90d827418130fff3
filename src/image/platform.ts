/**
 * Platforms (`linux/arm/v7`) as Docker and containerd name and normalise them, and the host
 * hull runs on. Matching a wanted platform against an index lives in `match.ts`.
 */
import { readFileSync } from 'node:fs';
import { InvalidPlatformError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  /** `v7` for linux/arm/v7; absent when the architecture has none (arm64/v8 is plain arm64). */
  variant?: string;
}

/** A platform as OCI descriptors and configs spell it in JSON. */
export interface OciPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
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

const OS_ALIASES: Readonly<Record<string, string>> = { macos: 'darwin' };

/** `linux/arm64`, `linux/arm/v7`, `amd64` (os defaults to linux). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new InvalidPlatformError(`invalid platform "${text}": write it as os/arch[/variant], such as linux/arm64 or linux/arm/v7`);
  }
  const [os, arch, variant] = parts.length === 1 ? ['linux', parts[0]!, undefined] : [parts[0]!, parts[1]!, parts[2]];
  return normalizePlatform({ os, architecture: arch, ...(variant ? { variant } : {}) });
}

/**
 * containerd's normalisation, so that equal platforms compare equal: aliases resolved
 * (`aarch64` → arm64, `armhf` → arm/v7, `armel` → arm/v6), the default variants dropped or
 * made explicit (arm64/v8 → arm64, amd64/v1 → amd64, arm → arm/v7), `7` → `v7`.
 */
export function normalizePlatform(p: Platform): Platform {
  const rawArch = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  const lowerOs = p.os.toLowerCase();
  const os = OS_ALIASES[lowerOs] ?? lowerOs;
  let variant = p.variant === '' ? undefined : p.variant?.toLowerCase();
  if (rawArch === 'armhf') variant ??= 'v7';
  if (rawArch === 'armel') variant ??= 'v6';
  if (variant !== undefined && /^\d+(\.\d+)?$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm64' && (variant === 'v8' || variant === 'v8.0')) variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

export function platformFromOci(p: OciPlatform): Platform {
  return normalizePlatform({ os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) });
}

export function toOciPlatform(p: Platform): OciPlatform {
  return p.variant ? { architecture: p.architecture, os: p.os, variant: p.variant } : { architecture: p.architecture, os: p.os };
}

export function samePlatform(a: Platform, b: Platform): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
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
