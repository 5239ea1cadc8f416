/**
 * The key store port: one AES-256 key per data subject (a user, an embed widget session), kept beside
 * the event store. Destroying a key is erasure: what was sealed under it can no longer be read, and a
 * destroyed key is never made again (later data of that subject is written as erased).
 * Adapters: a SQLite file in DATA_DIR (embedded) and a MongoDB collection (production).
 */
export interface KeyStore {
  /** The subject's key, made on first use; null once destroyed. */
  keyFor(subject: string): Promise<Buffer | null>;
  /** The subject's key when it has one; null when it never had one or it was destroyed. */
  find(subject: string): Promise<Buffer | null>;
  /** Destroys the subject's key (also one never made): answers whether a live key was destroyed. */
  destroy(subject: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A key is 32 random bytes (AES-256). */
export const KEY_BYTES = 32;
