/**
 * Where rate-limit state lives: in this process (memory-rate-limit-store.ts: the origin's playback
 * limit, and the API's without Redis) or in Redis (redis-rate-limit-store.ts: the API's limits shared
 * by every API process). Both meter with GCRA (gcra.ts) and pass the same contract
 * (test/contract/rate-limit-store-contract.ts).
 */
import type { RateDecision, RateRule } from './gcra.js';

export interface RateLimitStore {
  /** Counts one request for `key` under `rule` and says whether it is allowed. */
  take(key: string, rule: RateRule): RateDecision | Promise<RateDecision>;
  close?(): Promise<void>;
}
