/** Outgoing mail (password reset tokens). Adapters: SMTP when SMTP_URL is set, else a file outbox. */
export interface Mail {
  to: string;
  subject: string;
  /** Plain-text body. */
  text: string;
  /** The user it is for, so what is kept of it can be forgotten when they are erased. */
  recipientId?: number;
}

export interface Mailer {
  /** Resolves once the mail is handed off (written or accepted by the server); rejects otherwise. */
  send(mail: Mail): Promise<void>;
  /** Removes whatever this mailer keeps of mails to the user (an erasure); mail already sent is out of reach. */
  forget(recipientId: number): Promise<void>;
}
