import { resolveRoot } from '../store/root.js';
import { Store } from '../store/store.js';

/** `--root DIR`, accepted by every command that uses the local store. */
export const ROOT_OPTION = { root: { type: 'string' } } as const;

export const ROOT_USAGE = `      --root DIR         the store (default: $HULL_ROOT, else /var/lib/hull as root, else ~/.local/share/hull)`;

/** Opens the store for one command and closes it (releasing its leases) when the command ends. */
export async function withStore<T>(root: string | undefined, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(resolveRoot(root === undefined ? {} : { root }));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
