/**
 * Keys kept in memory for a while: every event read is opened with its subject's key, and a replay
 * reads millions. A key destroyed here is forgotten at once; one destroyed by another process (several
 * API processes on one MongoDB) is forgotten within `ttlMs`.
 */
import type { KeyStore } from './port.js';

export class CachedKeyStore implements KeyStore {
  private readonly cache = new Map<string, { key: Buffer | null; until: number }>();

  constructor(
    private readonly inner: KeyStore,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 100_000,
  ) {}

  private remember(subject: string, key: Buffer | null): Buffer | null {
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(subject, { key, until: Date.now() + this.ttlMs });
    return key;
  }

  private cached(subject: string): { key: Buffer | null } | undefined {
    const hit = this.cache.get(subject);
    if (hit && hit.until > Date.now()) return hit;
    return undefined;
  }

  async keyFor(subject: string): Promise<Buffer | null> {
    const hit = this.cached(subject);
    if (hit && hit.key) return hit.key;
    return this.remember(subject, await this.inner.keyFor(subject));
  }

  async find(subject: string): Promise<Buffer | null> {
    const hit = this.cached(subject);
    if (hit) return hit.key;
    return this.remember(subject, await this.inner.find(subject));
  }

  async destroy(subject: string): Promise<boolean> {
    this.cache.delete(subject);
    const destroyed = await this.inner.destroy(subject);
    this.cache.delete(subject);
    return destroyed;
  }

  close(): Promise<void> {
    this.cache.clear();
    return this.inner.close();
  }
}
