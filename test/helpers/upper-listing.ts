import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { readTar, writeLayer } from '../../src/layer/index.js';

export interface LayerRow {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  sha: string;
  /** 0 for directories and whiteouts, whose times tell when the step ran rather than what it did. */
  mtime: number;
  device: string;
  xattrs: string[];
}

/**
 * What an overlay upper dir becomes as a layer, entry by entry, as comparable rows: two upper
 * dirs holding the same changes give the same rows whichever snapshotter wrote them.
 */
export async function layerRows(upper: string): Promise<LayerRow[]> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeLayer(upper, out, { whiteouts: 'overlay', compression: 'none' });
  const rows: LayerRow[] = [];
  for await (const { header: h, body } of readTar([Buffer.concat(chunks)])) {
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk);
    const base = h.name.replace(/\/$/, '').split('/').pop() ?? '';
    rows.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      linkname: h.linkname,
      sha: hash.digest('hex').slice(0, 16),
      mtime: h.type === 'directory' || base.startsWith('.wh.') ? 0 : h.mtime,
      device: `${h.devmajor}:${h.devminor}`,
      xattrs: [...h.xattrs].map(([k, v]) => `${k}=${v.toString('hex')}`).sort(),
    });
  }
  return rows;
}
