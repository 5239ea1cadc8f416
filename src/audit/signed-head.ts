/**
 * The log's head signed with an Ed25519 key kept in DATA_DIR (made on first use, like the JWT secret):
 * a receipt an auditor keeps, to prove later that the log still holds that event with that hash.
 *
 * The signature covers the UTF-8 text `chronicle-audit-head\n<position>\n<hash>\n<signed_at>`
 * (hash empty when the head event predates the chain).
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EventStore } from '../infra/eventstore/port.js';

export interface SignedHead {
  position: number;
  hash: string | null;
  signature: string; // base64
  signed_at: string;
}

export const signedHeadMessage = (position: number, hash: string | null, signedAt: string) =>
  Buffer.from(`chronicle-audit-head\n${position}\n${hash ?? ''}\n${signedAt}`, 'utf8');

const KEY_FILE = 'audit-signing-key.pem';

export class AuditSigner {
  private key: { privateKey: KeyObject; publicKeyPem: string } | null = null;

  constructor(private readonly dataDir: string) {}

  publicKeyPem(): string {
    return this.load().publicKeyPem;
  }

  async signedHead(store: EventStore): Promise<SignedHead> {
    const head = await store.chainHead();
    const hash = head?.hash ?? null;
    const at = head?.position ?? 0;
    const signedAt = new Date().toISOString();
    const signature = sign(null, signedHeadMessage(at, hash, signedAt), this.load().privateKey).toString('base64');
    return { position: at, hash, signature, signed_at: signedAt };
  }

  /** Read from DATA_DIR, or made there once: `wx` lets one of several processes starting together win. */
  private load(): { privateKey: KeyObject; publicKeyPem: string } {
    if (this.key) return this.key;
    const file = path.join(this.dataDir, KEY_FILE);
    if (!fs.existsSync(file)) {
      const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      fs.mkdirSync(this.dataDir, { recursive: true });
      try {
        fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
    const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
    return (this.key = { privateKey, publicKeyPem });
  }
}
