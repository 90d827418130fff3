// Resolve hook of compat-shim.mjs: `node:crypto` (and `crypto`) resolve to compat-crypto.mjs,
// except for compat-crypto.mjs itself.
const shim = new URL('./compat-crypto.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === 'node:crypto' || specifier === 'crypto') && context.parentURL !== shim) {
    return { url: shim, shortCircuit: true };
  }
  return next(specifier, context);
}
