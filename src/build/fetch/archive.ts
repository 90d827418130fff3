/**
 * ADD's local archives: a source file whose content is a tar (plain, gzip, bzip2, xz or zstd) is
 * extracted at the destination instead of copied. Detection is by content, as BuildKit's
 * isArchivePath does it (solver/llbsolver/file/unpack.go): a regular file that decompresses
 * and yields a first tar header; a `.tar.gz` that is not a tar inside is copied as a file.
 * Extraction is the layer extractor's, so it is exactly as safe (nothing written outside the
 * target), with whiteout files kept as ordinary files.
 */
import { createReadStream } from 'node:fs';
import { lchown, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { HullError, LayerError } from '../../errors.js';
import { decompress, detectFormat } from '../../layer/compress.js';
import { Extractor } from '../../layer/extractor.js';
import { missingTool, ProcessStream } from '../../layer/subprocess.js';
import { readTar, UnsupportedEntryError } from '../../layer/tar/reader.js';

export type ArchiveFormat = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'tar';

export interface ExtractArchiveOptions {
  /**
   * ADD --chown: every extracted entry gets this owner instead of the archive's, as BuildKit's
   * unpack does ("explicit --chown values override the header ownership"); directories created
   * to reach the target get it too (BuildKit's MkdirAll with the chowner).
   */
  owner?: { uid: number; gid: number };
  onWarning?: (message: string) => void;
}

/**
 * How much decompressed data detection reads at most: the first header, with the PAX or GNU
 * long-name records before it (readTar bounds those at 1 MiB), fits well within.
 */
const DETECT_LIMIT = 2 << 20;

/** The decompressors layers never need, run as the binaries moby's DecompressStream runs too. */
const TOOLS = { bzip2: 'bzip2', xz: 'xz-utils' } as const;

/**
 * The format of a tar archive in `file`, or undefined when it is not one (it is then copied as a
 * file). A tar whose first entry hull cannot unpack is an UnsupportedEntryError.
 */
export async function detectArchive(file: string): Promise<ArchiveFormat | undefined> {
  const st = await lstat(file);
  if (!st.isFile()) return undefined;
  const format = formatOf(await readHead(file));
  let opened: Opened | undefined;
  try {
    opened = await tarStream(file, format);
    const entries = readTar(upTo(opened.tar, DETECT_LIMIT));
    const first = await entries.next();
    await entries.return(undefined);
    return first.done ? undefined : format;
  } catch (err) {
    // A missing decompressor is a setup problem to report, not a sign the file is no archive.
    if ((format === 'bzip2' || format === 'xz') && err instanceof LayerError && err.message === missingTool(format, TOOLS[format]).message) throw err;
    // A sound header of a kind hull cannot unpack (a sparse file) is still a tar, as Go's reader
    // would say: copying it as a plain file would hide that it was never extracted.
    if (err instanceof UnsupportedEntryError) throw err;
    // Anything else — a corrupt stream, a bad header checksum — means "not a tar", as in Go.
    return undefined;
  } finally {
    opened?.close();
  }
}

/**
 * Extracts the archive in `file` into `targetDir` (created if missing): existing files are
 * replaced, directories merged; an entry that would leave the target is an UnsafeArchiveError
 * naming it, raised before anything is written for it.
 */
export async function extractArchive(file: string, targetDir: string, options: ExtractArchiveOptions = {}): Promise<{ entries: number }> {
  const format = formatOf(await readHead(file));
  await makeTarget(resolve(targetDir), options.owner);
  const root = await realpath(targetDir);
  const opened = await tarStream(file, format);
  const extractor = new Extractor(root, { whiteouts: 'oci', ...(options.onWarning && { onWarning: options.onWarning }) });
  const owner = options.owner;
  try {
    for await (const entry of readTar(opened.tar)) {
      await extractor.entry(owner ? { header: { ...entry.header, uid: owner.uid, gid: owner.gid }, body: entry.body } : entry);
    }
    await extractor.finish();
  } catch (err) {
    if (err instanceof HullError) throw err;
    throw new LayerError(`extracting ${file} into ${root}: ${(err as Error).message}`);
  } finally {
    await extractor.close();
    opened.close();
  }
  return { entries: extractor.count };
}

/** The target and any missing parents (0755); those created get the --chown owner. */
async function makeTarget(target: string, owner: ExtractArchiveOptions['owner']): Promise<void> {
  const first = await mkdir(target, { recursive: true, mode: 0o755 });
  // Without root no chown is possible; the extractor skips it then too (rootless).
  if (first === undefined || owner === undefined || process.getuid?.() !== 0) return;
  for (let dir = target; ; dir = dirname(dir)) {
    await lchown(dir, owner.uid, owner.gid);
    if (dir === first || dir === dirname(dir)) return;
  }
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(6);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** moby's DetectCompression order: bzip2 and xz here, gzip, zstd or plain from the layer code. */
function formatOf(head: Buffer): ArchiveFormat {
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.toString('latin1', 0, 6) === '\xfd7zXZ\0') return 'xz';
  return detectFormat(head);
}

interface Opened {
  tar: Readable;
  /** Closes the file and stops any decompressor, also when the tar was not read to its end. */
  close: () => void;
}

/** The tar stream inside `file`. */
async function tarStream(file: string, format: ArchiveFormat): Promise<Opened> {
  const source = createReadStream(file);
  let tar: Readable;
  if (format === 'bzip2' || format === 'xz') {
    const decoder = new ProcessStream(format, ['-d', '-c', '-q'], TOOLS[format]);
    // pipeline destroys every stage with the first error, so the reader of the tar sees it.
    pipeline(source, decoder, () => undefined);
    tar = decoder;
  } else {
    tar = (await decompress(source)).stream;
  }
  return {
    tar,
    close: () => {
      tar.destroy();
      source.destroy();
    },
  };
}

/** The first `limit` bytes of a stream, or all of it if shorter. */
async function* upTo(source: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    yield chunk.subarray(0, limit - seen);
    seen += chunk.length;
    if (seen >= limit) return;
  }
}
