// The local image commands: import, images, tag, inspect, history, diff, rmi, prune.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Store } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { putImage, tinyImage } from '../helpers/image.js';

let dir: string;
let root: string;
let rootfs: string;
const hull = (...args: string[]) => runCli([...args.slice(0, 1), '--root', root, ...args.slice(1)]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-images-'));
  root = join(dir, 'store');
  rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc', 'motd'), 'hello\n');
  await symlink('motd', join(rootfs, 'etc', 'greeting'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('hull import makes a one-layer image that images, inspect and history show', async () => {
  const imported = await hull('import', '--platform', 'linux/arm/v7', '-m', 'from a test', rootfs, 'test/base:1');
  assert.equal(imported.code, 0, imported.err);
  const id = imported.out.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);

  const images = await hull('images', '--format', 'json');
  const rows = JSON.parse(images.out) as { repository: string; tag: string; id: string; platform: string }[];
  assert.deepEqual(rows.map((r) => [r.repository, r.tag, r.id, r.platform]), [['test/base', '1', id, 'linux/arm/v7']]);
  assert.match((await hull('images')).out, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\ntest\/base +1 +[0-9a-f]{12} /);

  const inspect = JSON.parse((await hull('inspect', 'test/base:1')).out) as { Id: string; RepoTags: string[]; Config: { architecture: string; variant: string; rootfs: { diff_ids: string[] } } }[];
  assert.equal(inspect[0]!.Id, id);
  assert.deepEqual(inspect[0]!.RepoTags, ['docker.io/test/base:1']);
  assert.deepEqual([inspect[0]!.Config.architecture, inspect[0]!.Config.variant], ['arm', 'v7']);

  const history = JSON.parse((await hull('history', '--format', 'json', 'test/base:1')).out) as { createdBy: string; comment: string; layer: string }[];
  assert.equal(history.length, 1);
  assert.equal(history[0]!.comment, 'from a test');
  assert.match(history[0]!.createdBy, /^hull import /);
});

test('hull diff lists additions, changes and deletions per layer', async () => {
  const image = await tinyImage([
    [{ name: 'etc/', type: 'directory' }, { name: 'etc/a', content: '1' }, { name: 'etc/b', content: '2' }],
    [{ name: 'etc/', type: 'directory' }, { name: 'etc/a', content: 'changed' }, { name: 'etc/.wh.b' }, { name: 'etc/c', content: 'new' }],
  ]);
  const store = await Store.open(root);
  await putImage(store, image);
  await store.tag('docker.io/test/layers:1', image.manifest);
  await store.close();
  const { code, out, err } = await hull('diff', 'test/layers:1');
  assert.equal(code, 0, err);
  const [first, second] = out.split('\n\n');
  assert.match(first!, /^layer 1\/2 sha256:/);
  assert.deepEqual(first!.split('\n').slice(1), ['A /etc', 'A /etc/a', 'A /etc/b']);
  assert.deepEqual(second!.trim().split('\n').slice(1), ['C /etc', 'C /etc/a', 'D /etc/b', 'A /etc/c']);
});

test('hull tag adds a name; hull rmi removes names and deletes content only when no name needs it', async () => {
  assert.equal((await hull('tag', 'test/base:1', 'localhost:5000/base')).code, 0);
  const tags = () => hull('images', '--format', 'json').then((r) => (JSON.parse(r.out) as { repository: string; tag: string }[]).map((x) => `${x.repository}:${x.tag}`));
  assert.ok((await tags()).includes('localhost:5000/base:latest'));

  // Two names point at the image: by ID it needs -f.
  const id = (JSON.parse((await hull('inspect', 'test/base:1')).out) as { Id: string }[])[0]!.Id;
  const refused = await hull('rmi', id.slice(7, 19));
  assert.equal(refused.code, 1);
  assert.match(refused.err, /tagged 2 times/);

  const first = await hull('rmi', 'test/base:1');
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /^Untagged: test\/base:1\n/);
  assert.doesNotMatch(first.out, /Deleted/, 'the other name still needs the content');
  const second = await hull('rmi', 'localhost:5000/base');
  assert.match(second.out, /Untagged: localhost:5000\/base:latest\nDeleted: sha256:/);
  assert.ok(!(await tags()).some((t) => t.includes('base')));
  assert.equal((await hull('rmi', 'nothing:here')).code, 1);
});

test('hull prune removes what no tag needs', async () => {
  const store = await Store.open(root);
  const stray = await store.putBlob(Buffer.from('not referenced by anything'));
  await store.close();
  const { code, out } = await hull('prune');
  assert.equal(code, 0);
  assert.match(out, new RegExp(`Deleted blob: ${stray.digest}`));
  assert.match(out, /Total reclaimed space: /);
});

test('imports are reproducible under SOURCE_DATE_EPOCH whatever the file mtimes', async () => {
  process.env.SOURCE_DATE_EPOCH = '1700000000';
  try {
    const a = await hull('import', rootfs, 'test/repro:a');
    await utimes(join(rootfs, 'etc', 'motd'), new Date(), new Date()); // newer than the epoch: clamped
    const b = await hull('import', rootfs, 'test/repro:b');
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, b.out, 'same image ID');
    const digest = async (ref: string) => (JSON.parse((await hull('inspect', ref)).out) as { Descriptor: { digest: string } }[])[0]!.Descriptor.digest;
    assert.equal(await digest('test/repro:a'), await digest('test/repro:b'));
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
});

test('usage errors', async () => {
  assert.equal((await hull('import', rootfs)).code, 2);
  assert.equal((await hull('import', '--compression', 'lz4', rootfs, 'x')).code, 2);
  assert.equal((await hull('images', '--format', 'yaml')).code, 2);
  const missing = await hull('import', join(dir, 'nope'), 'x');
  assert.equal(missing.code, 1);
});
