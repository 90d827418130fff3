/**
 * A client-certificate CA and one client certificate it signed, made with the real openssl:
 * what a registry with `http.tls.clientcas` demands, and what certs.d's `client.cert` and
 * `client.key` hold. A separate CA from the server's, as sites usually have.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClientCerts {
  /** The CA the registry trusts for client certificates (its `clientcas`). */
  caFile: string;
  certFile: string;
  keyFile: string;
}

export async function makeClientCerts(parent: string): Promise<ClientCerts> {
  const dir = join(parent, 'client-certs');
  await mkdir(dir, { recursive: true });
  const openssl = async (...args: string[]): Promise<void> => void (await run('openssl', args, { cwd: dir }));
  // EC keys, as certs.ts: milliseconds to make.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', 'client-ca.key', '-out', 'client-ca.crt', '-days', '2', '-subj', '/CN=hull test client CA');
  await openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=hull test client');
  await writeFile(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  await openssl('x509', '-req', '-in', 'client.csr', '-CA', 'client-ca.crt', '-CAkey', 'client-ca.key', '-CAcreateserial', '-out', 'client.cert', '-days', '2', '-extfile', 'client.ext');
  return { caFile: join(dir, 'client-ca.crt'), certFile: join(dir, 'client.cert'), keyFile: join(dir, 'client.key') };
}
