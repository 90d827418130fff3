/**
 * What `hull push` prints while it works: on a terminal, live rows (see ../progress.ts);
 * elsewhere (CI logs), one plain line per blob when it is settled, in docker's words.
 */
import { shortDigest } from '../../image/digest.js';
import type { PushProgress } from '../../registry/push.js';
import { humanSize } from '../image.js';
import { LiveRows, transferBar } from '../progress.js';

/** The settled line of a blob, or undefined while it is still moving. */
export function plainLine(e: PushProgress): string | undefined {
  if (e.kind !== 'blob') return undefined;
  const id = shortDigest(e.digest);
  switch (e.state) {
    case 'pushed':
      return `${id}: Pushed ${humanSize(e.size)}`;
    case 'exists':
      return `${id}: Layer already exists`;
    case 'mounted':
      return `${id}: Mounted from ${e.from ?? 'another repository'}`;
    case 'retrying':
      return `${id}: Retrying (attempt ${(e.attempt ?? 0) + 1}): ${e.reason ?? ''}`;
    default:
      return undefined;
  }
}

/** Push events onto live terminal rows. */
export class TtyProgress {
  private readonly rows: LiveRows;
  private readonly started = new Map<string, number>();

  constructor(write: (text: string) => void) {
    this.rows = new LiveRows(write);
  }

  update(e: PushProgress): void {
    if (e.kind !== 'blob') return;
    const started = this.started.get(e.digest) ?? Date.now();
    this.started.set(e.digest, started);
    const id = shortDigest(e.digest);
    const settled = plainLine(e);
    const text = settled ?? (e.state === 'checking' ? `${id}: Preparing` : `${id}: Pushing ${transferBar(e.sent, e.size, started)}`);
    this.rows.update(e.digest, text, e.state !== 'uploading' && e.state !== 'checking');
  }

  finish(): void {
    this.rows.finish();
  }
}
