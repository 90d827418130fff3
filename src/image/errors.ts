import { HullError } from '../errors.js';

/** Something about an image's metadata (digest, manifest, config, platform) is wrong. */
export class ImageError extends HullError {
  override name = 'ImageError';
}

/** A string that should be a digest (`sha256:<64 hex>`) is not one; the message says why. */
export class InvalidDigestError extends ImageError {
  override name = 'InvalidDigestError';
}

/** A manifest, index or config document that does not have the shape the specs require. */
export class ManifestError extends ImageError {
  override name = 'ManifestError';
}

/** An image reference that Docker's grammar rejects; `reason` names the part that is wrong. */
export class InvalidReferenceError extends ImageError {
  override name = 'InvalidReferenceError';
  readonly reference: string;
  readonly reason: string;

  constructor(reference: string, reason: string) {
    super(`invalid reference "${reference}": ${reason}`);
    this.reference = reference;
    this.reason = reason;
  }
}

/** A platform string that cannot be read (`linux/arm/v7` is the shape). */
export class InvalidPlatformError extends ImageError {
  override name = 'InvalidPlatformError';
}

/** No entry of an index runs on the wanted platform; `available` lists what the index offers. */
export class PlatformMismatchError extends ImageError {
  override name = 'PlatformMismatchError';
  readonly wanted: string;
  readonly available: readonly string[];

  constructor(wanted: string, available: readonly string[]) {
    const offer = available.length > 0 ? `it offers ${available.join(', ')}` : 'it lists no platform';
    super(`no image for platform ${wanted}: ${offer}`);
    this.wanted = wanted;
    this.available = available;
  }
}
