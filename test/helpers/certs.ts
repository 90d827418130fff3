/**
 * Test certificates made with the real openssl: a CA and a server certificate for
 * 127.0.0.1/localhost (what a private registry behind TLS presents), and a self-signed
 * signing certificate (what a token issuer signs JWTs with). Short-lived: the files live in a
 * temp directory the caller removes.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

export interface ServerCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A CA and a server certificate it signed, valid for 127.0.0.1, ::1 and localhost. */
export async function makeServerCerts(dir: string): Promise<ServerCerts> {
  // EC keys: generated in milliseconds, where RSA keys would slow every TLS test on a Pi.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=hull test CA');
  await openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

export interface SigningCert {
  certFile: string;
  keyFile: string;
}

/** A self-signed RSA certificate for RS256 JWTs; the registry trusts it as its `rootcertbundle`. */
export async function makeSigningCert(dir: string): Promise<SigningCert> {
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2', '-subj', '/CN=hull test token issuer');
  return { certFile: join(dir, 'token.crt'), keyFile: join(dir, 'token.key') };
}
