/**
 * A least-recently-used map bounded by the bytes of its values, for the origin's hot files. Built on
 * Map's insertion order: a hit moves the entry to the end, eviction takes from the front. Values larger
 * than the whole budget are not stored at all.
 */
export interface SizedValue {
  /** Bytes this value holds in memory. */
  readonly bytes: number;
}

export class SegmentCache<V extends SizedValue> {
  private readonly entries = new Map<string, V>();
  private bytesUsed = 0;

  constructor(private readonly maxBytes: number) {}

  /** The value of `key`, marked as the most recently used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Stores (or replaces) `key`, evicting the least recently used values past the budget. */
  set(key: string, value: V): boolean {
    this.delete(key);
    if (value.bytes > this.maxBytes) return false;
    this.entries.set(key, value);
    this.bytesUsed += value.bytes;
    if (this.bytesUsed > this.maxBytes) {
      for (const [oldKey, old] of this.entries) {
        if (this.bytesUsed <= this.maxBytes) break;
        this.entries.delete(oldKey);
        this.bytesUsed -= old.bytes;
      }
    }
    return true;
  }

  delete(key: string): boolean {
    const value = this.entries.get(key);
    if (value === undefined) return false;
    this.entries.delete(key);
    this.bytesUsed -= value.bytes;
    return true;
  }

  /** Drops every key that starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): number {
    let removed = 0;
    for (const [key, value] of this.entries) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key);
        this.bytesUsed -= value.bytes;
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.bytesUsed;
  }
}
