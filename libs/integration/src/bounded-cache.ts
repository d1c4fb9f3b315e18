/**
 * A per-container cache with a bound on both size and age: least recently used entries go
 * first when it is full, and an entry older than its time to live is not returned. The clock
 * is injected, so that tests never wait.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, { readonly value: V; readonly at: number }>();

  /**
   * @param maxEntries at most this many entries are kept
   * @param ttlMs an entry is forgotten this long after it was set
   * @param now milliseconds (default `Date.now`)
   */
  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The value, when present and not expired; marks it as recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, at: this.now() });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
