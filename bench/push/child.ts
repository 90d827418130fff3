// One timed push in its own process, so its peak RSS is its own: prints {"ms", "maxRssKiB"} as JSON.
//   child.ts STORE_ROOT SOURCE REGISTRY REPOSITORY TAG
import { openRepository } from '../../src/registry/client.js';
import { push } from '../../src/registry/push.js';
import { Store } from '../../src/store/store.js';

const [root, source, registry, repository, tag] = process.argv.slice(2) as [string, string, string, string, string];
const store = await Store.open(root);
const started = performance.now();
const result = await push(store, source, { session: openRepository({ registry, repository }), tags: [tag] });
const ms = performance.now() - started;
await store.close();
process.stdout.write(`${JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, digest: result.descriptor.digest, outcomes: result.blobs.map((b) => b.outcome) })}\n`);
process.exit(0);
