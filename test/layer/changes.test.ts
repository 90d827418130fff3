import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { applyToPathSet, encodeHeader, listChanges, type TarHeader } from '../../src/layer/index.js';
import { endOfArchive } from '../../src/layer/tar/header.js';

function layer(...names: string[]): Readable {
  const parts = names.map((name) => {
    const header: TarHeader = { name, type: name.endsWith('/') ? 'directory' : 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
    return encodeHeader(header);
  });
  return Readable.from([Buffer.concat([...parts, endOfArchive()])]);
}

const rows = (changes: Array<{ kind: string; path: string }>) => changes.map((c) => `${c.kind[0]!.toUpperCase()} ${c.path}`);

describe('listChanges', () => {
  const lower = new Set(['/etc', '/etc/passwd', '/etc/conf.d', '/etc/conf.d/a', '/etc/conf.d/b', '/var', '/var/cache', '/var/cache/x', '/usr']);

  it('without the lower layers: entries are added, whiteouts deleted, opaque dirs deleted/*', async () => {
    const got = await listChanges(layer('etc/', 'etc/new', 'etc/.wh.passwd', 'var/.wh..wh..opq', 'var/fresh'));
    assert.deepEqual(rows(got), ['A /etc', 'A /etc/new', 'D /etc/passwd', 'D /var/*', 'A /var/fresh']);
  });

  it('with the lower layers: added vs changed, and only the topmost deletions, like docker diff', async () => {
    const got = await listChanges(layer('etc/', 'etc/passwd', 'etc/conf.d/.wh..wh..opq', 'etc/conf.d/c', '.wh.var', 'etc/.wh.missing'), lower);
    assert.deepEqual(rows(got), ['C /etc', 'D /etc/conf.d/a', 'D /etc/conf.d/b', 'A /etc/conf.d/c', 'C /etc/passwd', 'D /var']);
  });

  it('applyToPathSet builds the next layer\'s lower set', async () => {
    const paths = new Set(lower);
    await applyToPathSet(layer('etc/conf.d/.wh..wh..opq', 'etc/conf.d/c', '.wh.var', 'opt/new/file'), paths);
    assert.deepEqual([...paths].sort(), ['/etc', '/etc/conf.d', '/etc/conf.d/c', '/etc/passwd', '/opt', '/opt/new', '/opt/new/file', '/usr']);
  });

  it('refuses unsafe names here too', async () => {
    await assert.rejects(listChanges(layer('../x')), /'\.\.'/);
  });
});
