// node:crypto with crypto.hash (Node 20.12 / 21.7) added where it is missing: see compat-shim.mjs.
import crypto from 'node:crypto';

export * from 'node:crypto';
export default crypto;
export const hash =
  crypto.hash ?? ((algorithm, data, outputEncoding = 'hex') => crypto.createHash(algorithm).update(data).digest(outputEncoding));
