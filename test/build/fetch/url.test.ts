import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChecksumMismatchError, downloadUrl, FetchError, fileName } from '../../../src/build/fetch/index.js';
import { scratchDirs } from '../../helpers/scratch.js';

const scratch = scratchDirs('hull-fetch-url-');
const body = randomBytes(3 * 1024 * 1024 + 17);
const sha = (algorithm: string, data: Buffer): string => `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';

let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/files/data.bin' || path === '/files/') {
      res.writeHead(200, { 'content-length': body.length, 'last-modified': LAST_MODIFIED, 'content-disposition': 'attachment; filename="other.bin"' });
      // In pieces, so the client sees a stream rather than one buffer.
      let at = 0;
      const more = (): void => {
        while (at < body.length) {
          const piece = body.subarray(at, at + 65536);
          at += piece.length;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (path === '/plain.txt') {
      res.end('no date here\n');
    } else if (path === '/redirect') {
      res.writeHead(302, { location: '/hop' }).end();
    } else if (path === '/hop') {
      res.writeHead(301, { location: `${base}/files/data.bin` }).end();
    } else if (path === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (path === '/reset') {
      res.writeHead(200, { 'content-length': 100_000 });
      res.write(body.subarray(0, 10_000), () => res.socket?.destroy());
    } else if (path === '/auth/secret.txt') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('me:p@ss').toString('base64')}`;
      res.writeHead(ok ? 200 : 401).end(ok ? 'secret' : '');
    } else {
      res.writeHead(404).end('nothing here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('downloadUrl', () => {
  it('streams the body to a 0600 file, hashing it, with the Last-Modified time', async () => {
    const dir = await scratch.fresh('ok');
    const progress: Array<[number, number | undefined]> = [];
    const d = await downloadUrl(`${base}/files/data.bin`, dir, { onProgress: (r, t) => progress.push([r, t]) });
    assert.equal(d.name, 'data.bin');
    assert.equal(d.size, body.length);
    assert.equal(d.digest, sha('sha256', body));
    assert.ok(readFileSync(d.path).equals(body));
    assert.deepEqual(readdirSync(dir), [d.path.slice(dir.length + 1)]);
    const st = statSync(d.path);
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(d.mtime, Date.parse(LAST_MODIFIED) / 1000);
    assert.equal(st.mtimeMs, Date.parse(LAST_MODIFIED));
    assert.ok(progress.length > 1, 'progress is reported as the body arrives');
    assert.deepEqual(progress.at(-1), [body.length, body.length]);
  });

  it('without Last-Modified leaves mtime undefined and dates the file at the epoch, as BuildKit', async () => {
    const dir = await scratch.fresh('nodate');
    const d = await downloadUrl(`${base}/plain.txt`, dir);
    assert.equal(d.mtime, undefined);
    assert.equal(statSync(d.path).mtimeMs, 0);
    assert.equal(readFileSync(d.path, 'utf8'), 'no date here\n');
  });

  it('accepts a matching --checksum in sha256, sha384 or sha512', async () => {
    for (const algorithm of ['sha256', 'sha384', 'sha512']) {
      const d = await downloadUrl(`${base}/files/data.bin`, await scratch.fresh(algorithm), { checksum: sha(algorithm, body) });
      assert.equal(d.digest, sha('sha256', body));
    }
  });

  it('refuses content that does not match --checksum, naming the URL and both digests, and keeps nothing', async () => {
    const dir = await scratch.fresh('mismatch');
    const wrong = sha('sha512', Buffer.from('something else'));
    await assert.rejects(downloadUrl(`${base}/files/data.bin`, dir, { checksum: wrong }), (err: unknown) => {
      assert.ok(err instanceof ChecksumMismatchError);
      assert.equal(err.message, `ADD ${base}/files/data.bin: checksum mismatch: expected ${wrong}, got ${sha('sha512', body)}`);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  });

  it('rejects a malformed --checksum before downloading', async () => {
    await assert.rejects(downloadUrl(`${base}/files/data.bin`, await scratch.fresh('bad'), { checksum: 'md5:abc' }), /invalid --checksum 'md5:abc'/);
    await assert.rejects(downloadUrl(`${base}/files/data.bin`, await scratch.fresh('bad'), { checksum: 'sha256:ABC' }), FetchError);
  });

  it('names the URL and the status of a non-2xx answer', async () => {
    const dir = await scratch.fresh('404');
    await assert.rejects(downloadUrl(`${base}/missing.tar.gz`, dir), (err: unknown) => {
      assert.ok(err instanceof FetchError);
      assert.equal(err.message, `ADD ${base}/missing.tar.gz: the server answered 404 Not Found`);
      assert.equal(err.status, 404);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  });

  it('follows redirects, keeping the name of the URL written in the Dockerfile', async () => {
    const d = await downloadUrl(`${base}/redirect`, await scratch.fresh('redirect'));
    assert.equal(d.name, 'redirect');
    assert.equal(d.digest, sha('sha256', body));
  });

  it('stops following a redirect loop', async () => {
    await assert.rejects(downloadUrl(`${base}/loop`, await scratch.fresh('loop')), /ADD http:\/\/127\.0\.0\.1:\d+\/loop: stopped after 10 redirects/);
  });

  it('reports a connection cut mid-body and leaves no partial file', async () => {
    const dir = await scratch.fresh('reset');
    await assert.rejects(downloadUrl(`${base}/reset`, dir), (err: unknown) => {
      assert.ok(err instanceof FetchError);
      assert.match(err.message, /^ADD http:\/\/127\.0\.0\.1:\d+\/reset: the download failed: other side closed/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  });

  it('reports a server that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(downloadUrl(`http://127.0.0.1:${port}/x`, await scratch.fresh('refused')), /^FetchError: ADD http:\/\/127\.0\.0\.1:\d+\/x: cannot reach the server: .*ECONNREFUSED/);
  });

  it('sends URL credentials as basic auth and keeps the password out of messages', async () => {
    const d = await downloadUrl(`http://me:p%40ss@127.0.0.1:${new URL(base).port}/auth/secret.txt`, await scratch.fresh('auth'));
    assert.equal(readFileSync(d.path, 'utf8'), 'secret');
    await assert.rejects(downloadUrl(`http://me:wrong@127.0.0.1:${new URL(base).port}/auth/secret.txt`, await scratch.fresh('auth')), (err: unknown) => {
      assert.ok(err instanceof FetchError);
      assert.match(err.message, /^ADD http:\/\/me:xxxxx@127\.0\.0\.1:\d+\/auth\/secret\.txt: the server answered 401 Unauthorized$/);
      return true;
    });
  });

  it('refuses what is not http or https', async () => {
    await assert.rejects(downloadUrl('ftp://example.com/x', await scratch.fresh('ftp')), /only http and https URLs/);
  });
});

describe('fileName', () => {
  it('is the last path element of the URL as written, as the Dockerfile frontend names it', () => {
    assert.equal(fileName('https://example.com/releases/v1/tool.tar.gz'), 'tool.tar.gz');
    assert.equal(fileName('https://example.com/get?version=2#frag'), 'get');
    assert.equal(fileName('https://example.com/dir/'), 'dir');
    assert.equal(fileName('https://example.com/a%20b.txt'), 'a b.txt');
    assert.equal(fileName('https://example.com/'), '__unnamed__');
    assert.equal(fileName('https://example.com'), '__unnamed__');
    // Go keeps `..` in u.Path; SafeFileName then turns it into "download".
    assert.equal(fileName('https://example.com/a/..'), 'download');
    assert.equal(fileName('https://example.com/a%0Ab'), 'download');
  });
});
