/** Outgoing mail (password reset tokens). Adapters: SMTP when SMTP_URL is set, else a file outbox. */
export interface Mail {
  to: string;
  subject: string;
  /** Plain-text body. */
  text: string;
}

export interface Mailer {
  /** Resolves once the mail is handed off (written or accepted by the server); rejects otherwise. */
  send(mail: Mail): Promise<void>;
}
