/** Mailer over SMTP (nodemailer), used when SMTP_URL is set, e.g. smtp://user:pass@mail:587. */
import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Mail, Mailer } from './port.js';

export interface SmtpMailerOptions {
  /** Connection URL understood by nodemailer: smtp://, smtps://, with credentials and query options. */
  url: string;
  /** Sender address, e.g. `Chronicle <noreply@example.com>`. */
  from?: string;
}

export const DEFAULT_FROM = 'Chronicle <noreply@chronicle.local>';

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(options: SmtpMailerOptions) {
    this.transport = createTransport(options.url);
    this.from = options.from ?? DEFAULT_FROM;
  }

  async send(mail: Mail): Promise<void> {
    // nodemailer rejects when the server refuses the sender or every recipient.
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }

  /** Releases pooled connections (only `?pool=true` URLs keep any) on shutdown. */
  close(): void {
    this.transport.close();
  }

  /** Nothing is kept here: a sent mail is the receiving server's. */
  async forget(): Promise<void> {}
}
