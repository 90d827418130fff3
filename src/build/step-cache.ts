/** The cache as the solver sees it: whether a stage may use it (`--no-cache`, `--no-cache-filter`) and lookups. */
import type { CacheRecord } from '../cache/records.js';

export interface StepCache {
  /** False for stages that must rebuild whatever the cache holds. */
  usable(stageName: string | undefined, stageIndex: number): boolean;
  get(key: string): Promise<CacheRecord | undefined>;
  put(record: CacheRecord): Promise<void>;
}
