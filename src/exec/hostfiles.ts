/**
 * The generated /etc/resolv.conf, /etc/hosts and /etc/hostname a step sees. They are bind-mounted
 * from the step's temp dir, so whatever the step writes to them is never committed to a layer.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HostFiles {
  resolvConf: string;
  hosts: string;
  hostname: string;
}

/** Used when the host has no usable resolv.conf (as Docker does). */
const FALLBACK_NAMESERVERS = 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n';

export function resolvConfFrom(host: string | undefined): string {
  const text = host ?? '';
  return /^\s*nameserver\s+\S+/m.test(text) ? (text.endsWith('\n') ? text : `${text}\n`) : FALLBACK_NAMESERVERS;
}

export function hostsFor(hostname: string): string {
  return [
    `127.0.0.1\tlocalhost ${hostname}`,
    `::1\tlocalhost ip6-localhost ip6-loopback ${hostname}`,
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/** Writes the three files into `dir` and returns their paths. */
export async function writeHostFiles(dir: string, hostname: string, hostResolvConf = '/etc/resolv.conf'): Promise<HostFiles> {
  const host = await readFile(hostResolvConf, 'utf8').catch(() => undefined);
  const files: HostFiles = {
    resolvConf: join(dir, 'resolv.conf'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
  };
  await writeFile(files.resolvConf, resolvConfFrom(host), { mode: 0o644 });
  await writeFile(files.hosts, hostsFor(hostname), { mode: 0o644 });
  await writeFile(files.hostname, `${hostname}\n`, { mode: 0o644 });
  return files;
}
