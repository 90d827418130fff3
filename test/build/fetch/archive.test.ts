import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { detectArchive, extractArchive, type ArchiveFormat } from '../../../src/build/fetch/index.js';
import { UnsafeArchiveError } from '../../../src/errors.js';
import { scratchDirs } from '../../helpers/scratch.js';

const scratch = scratchDirs('hull-fetch-archive-');

/** A small tree, including a whiteout-looking name that ADD must keep as an ordinary file. */
async function tree(): Promise<string> {
  const src = await scratch.fresh('src');
  mkdirSync(join(src, 'app/lib'), { recursive: true });
  writeFileSync(join(src, 'app/main.txt'), 'main\n');
  writeFileSync(join(src, 'app/lib/util.txt'), 'util\n');
  writeFileSync(join(src, 'app/.wh.gone'), '');
  symlinkSync('main.txt', join(src, 'app/link'));
  return src;
}

/** The tree as an archive made by the system tools, owned by 42:43. */
async function archive(format: ArchiveFormat): Promise<string> {
  const src = await tree();
  const out = join(await scratch.fresh('archives'), `tree.${format}`);
  const tar = execFileSync('tar', ['-C', src, '--owner=42', '--group=43', '--numeric-owner', '-cf', '-', '.']);
  const compress: Record<ArchiveFormat, string[] | undefined> = {
    tar: undefined,
    gzip: ['gzip', '-c'],
    bzip2: ['bzip2', '-c'],
    xz: ['xz', '-c'],
    zstd: ['zstd', '-q', '-c'],
  };
  const tool = compress[format];
  writeFileSync(out, tool ? execFileSync(tool[0]!, tool.slice(1), { input: tar }) : tar);
  return out;
}

/**
 * A tar written with tar-stream, which stores names as given (`../x` included). (test/helpers'
 * makeTar would do, but its module loads the whole CLI.)
 */
async function handTar(entries: Array<{ name: string; data?: string; linkname?: string }>): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    if (e.linkname !== undefined) p.entry({ name: e.name, type: 'symlink', linkname: e.linkname, mode: 0o777 });
    else p.entry({ name: e.name, mode: 0o644 }, e.data ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function checkTree(root: string): void {
  assert.equal(readFileSync(join(root, 'app/main.txt'), 'utf8'), 'main\n');
  assert.equal(readFileSync(join(root, 'app/lib/util.txt'), 'utf8'), 'util\n');
  assert.equal(lstatSync(join(root, 'app/.wh.gone')).isFile(), true);
  assert.equal(readlinkSync(join(root, 'app/link')), 'main.txt');
}

describe('detectArchive and extractArchive', () => {
  for (const format of ['tar', 'gzip', 'bzip2', 'xz', 'zstd'] as const) {
    it(`detect and extract a ${format} archive made by the system tools`, async () => {
      const file = await archive(format);
      assert.equal(await detectArchive(file), format);
      const target = await scratch.fresh(`out-${format}`);
      const { entries } = await extractArchive(file, target);
      assert.ok(entries >= 6);
      checkTree(target);
      // Without --chown the archive's owners stay.
      assert.equal(lstatSync(join(target, 'app/main.txt')).uid, 42);
      assert.equal(lstatSync(join(target, 'app/lib')).gid, 43);
    });
  }

  it('are undefined for what is not a tar inside', async () => {
    const dir = await scratch.fresh('plain');
    const cases: Record<string, Buffer> = {
      'notes.txt': Buffer.from('just text\n'.repeat(100)),
      'text.gz': gzipSync(Buffer.from('compressed text, no tar\n'.repeat(100))),
      'empty.tar': Buffer.alloc(1024),
      'empty': Buffer.alloc(0),
      'broken.gz': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      writeFileSync(join(dir, name), bytes);
      assert.equal(await detectArchive(join(dir, name)), undefined, name);
    }
    const tarball = await archive('gzip');
    symlinkSync(tarball, join(dir, 'link.tar.gz'));
    assert.equal(await detectArchive(join(dir, 'link.tar.gz')), undefined, 'a symlink is not followed');
    assert.equal(await detectArchive(dir), undefined, 'a directory');
  });

  it('give every entry the --chown owner, and the directories made to reach the target', async () => {
    const file = await archive('gzip');
    const base = await scratch.fresh('chown');
    const target = join(base, 'made/for/it');
    await extractArchive(file, target, { owner: { uid: 1234, gid: 5678 } });
    for (const path of ['made', 'made/for/it', 'made/for/it/app', 'made/for/it/app/main.txt', 'made/for/it/app/link']) {
      const st = lstatSync(join(base, path));
      assert.deepEqual([st.uid, st.gid], [1234, 5678], path);
    }
    assert.equal(lstatSync(base).uid, 0, 'what existed keeps its owner');
  });

  it('replace existing files and merge into existing directories', async () => {
    const target = await scratch.fresh('merge');
    mkdirSync(join(target, 'app'));
    writeFileSync(join(target, 'app/main.txt'), 'old\n');
    writeFileSync(join(target, 'app/kept.txt'), 'kept\n');
    await extractArchive(await archive('xz'), target);
    checkTree(target);
    assert.equal(readFileSync(join(target, 'app/kept.txt'), 'utf8'), 'kept\n');
  });

  it('refuse an entry that climbs out of the target, writing nothing outside', async () => {
    const base = await scratch.fresh('hostile');
    const file = join(base, 'evil.tar');
    writeFileSync(file, await handTar([{ name: 'fine.txt', data: 'ok' }, { name: '../escaped.txt', data: 'evil' }]));
    assert.equal(await detectArchive(file), 'tar');
    const target = join(base, 'target');
    await assert.rejects(extractArchive(file, target), (err: unknown) => {
      assert.ok(err instanceof UnsafeArchiveError);
      assert.equal(err.entry, '../escaped.txt');
      assert.match(err.message, /'\.\.\/escaped\.txt'/);
      return true;
    });
    assert.equal(existsSync(join(base, 'escaped.txt')), false);
    assert.deepEqual(readdirSync(base).sort(), ['evil.tar', 'target']);
  });

  it('refuse a path through a symlink that leads out', async () => {
    const base = await scratch.fresh('hostile-link');
    const file = join(base, 'evil.tar');
    writeFileSync(file, await handTar([{ name: 'up', linkname: '../..' }, { name: 'up/escaped.txt', data: 'evil' }]));
    const target = join(base, 'a/target');
    await assert.rejects(extractArchive(file, target), UnsafeArchiveError);
    assert.equal(existsSync(join(base, 'escaped.txt')), false);
    assert.equal(existsSync(join(base, 'a/escaped.txt')), false);
  });
});
