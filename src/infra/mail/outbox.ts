/**
 * Mailer that writes each mail as a text file into a directory, for the
 * embedded mode where no SMTP server exists: operators (and e2e tests) read
 * password-reset tokens from `<DATA_DIR>/outbox`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mail, Mailer } from './port.js';

// A CR or LF in a header value would let a caller forge extra headers.
function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

// Sortable by time and filename-safe on every OS (no colons).
function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

export function formatMail(mail: Mail, date: Date): string {
  return [
    `To: ${headerValue(mail.to)}`,
    `Subject: ${headerValue(mail.subject)}`,
    `Date: ${date.toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    mail.text,
  ].join('\r\n');
}

/** Names carry the recipient's user id (`…-u12-….eml`), so an erasure finds their mails without reading any. */
const recipientTag = (id: number | undefined) => (id === undefined ? '' : `u${id}-`);

export class OutboxMailer implements Mailer {
  constructor(private readonly dir: string) {}

  async send(mail: Mail): Promise<void> {
    const date = new Date();
    const name = `${fileStamp(date)}-${recipientTag(mail.recipientId)}${randomBytes(6).toString('hex')}.eml`;
    const final = path.join(this.dir, name);
    // Dot-prefixed temp name in the same directory: rename is atomic there,
    // and readers globbing *.eml never see a half-written mail.
    const temp = path.join(this.dir, `.${name}.tmp`);
    await mkdir(this.dir, { recursive: true });
    try {
      // 0600: the body holds a live reset token.
      await writeFile(temp, formatMail(mail, date), { flag: 'wx', mode: 0o600 });
      await rename(temp, final);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async forget(recipientId: number): Promise<void> {
    const tag = `-${recipientTag(recipientId)}`;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) if (name.includes(tag)) await rm(path.join(this.dir, name), { force: true });
  }
}
