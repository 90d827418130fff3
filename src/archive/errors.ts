import { HullError } from '../errors.js';

/**
 * An image archive (docker-archive or OCI layout tarball) that cannot be written or read: a
 * missing or damaged member, a name that does not resolve, an image that cannot be exported
 * in the asked format. `member` names the archive member at fault, when there is one.
 */
export class ArchiveError extends HullError {
  override name = 'ArchiveError';
  readonly member: string | undefined;

  constructor(message: string, member?: string) {
    super(message);
    this.member = member;
  }
}
