import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { OutboxMailer } from '../../src/infra/mail/outbox.js';
import { SmtpMailer } from '../../src/infra/mail/smtp.js';

const mail = {
  to: 'alice@example.com',
  subject: 'Reset your Chronicle password',
  text: 'Someone asked to reset your password.\ntoken: 3f9c2a7b\nIt expires in one hour.',
};

describe('OutboxMailer', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'chronicle-outbox-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('given a missing directory, when a mail is sent, then it creates the directory and one readable .eml file', async () => {
    const dir = path.join(tmp, 'data', 'outbox');
    await new OutboxMailer(dir).send(mail);

    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{12}\.eml$/);
    const content = await readFile(path.join(dir, files[0]), 'utf8');
    const [head, body] = content.split('\r\n\r\n');
    expect(head).toContain('To: alice@example.com');
    expect(head).toContain('Subject: Reset your Chronicle password');
    expect(head).toMatch(/^Date: .+GMT$/m);
    expect(body).toBe(mail.text);
    expect(body).toMatch(/^token: 3f9c2a7b$/m);
  });

  it('when mails are sent concurrently, then each gets its own file and no temp file is left', async () => {
    const mailer = new OutboxMailer(tmp);
    await Promise.all([1, 2, 3, 4, 5].map((n) => mailer.send({ ...mail, text: `token: t${n}` })));

    const files = (await readdir(tmp)).sort();
    expect(files).toHaveLength(5);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    const bodies = await Promise.all(
      files.map(async (f) => (await readFile(path.join(tmp, f), 'utf8')).split('\r\n\r\n')[1]),
    );
    expect(bodies.sort()).toEqual(['token: t1', 'token: t2', 'token: t3', 'token: t4', 'token: t5']);
  });

  it('given a subject with a line break, then it cannot add a header', async () => {
    await new OutboxMailer(tmp).send({ ...mail, subject: 'Hi\r\nBcc: mallory@example.com' });
    const [file] = await readdir(tmp);
    const head = (await readFile(path.join(tmp, file), 'utf8')).split('\r\n\r\n')[0];
    expect(head).not.toMatch(/^Bcc:/m);
    expect(head).toContain('Subject: Hi Bcc: mallory@example.com');
  });
});

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** Just enough of an SMTP server (RFC 5321 happy path) to receive what nodemailer sends. */
function startSmtpServer(): Promise<{ port: number; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current: Received = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost ESMTP test');

    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          // Undo dot-stuffing (RFC 5321 4.5.2).
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          reply('250-localhost');
          reply('250 8BITMIME');
        } else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          current.from = line.replace(/^MAIL FROM:\s*/i, '');
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          current.to.push(line.replace(/^RCPT TO:\s*/i, ''));
          reply('250 2.1.5 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          current = { from: '', to: [], data: '' };
          reply('250 OK');
        } else if (verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 Bye');
          socket.end();
          return;
        } else reply('502 5.5.2 Command not implemented');
      }
    });
    socket.on('error', () => {
      /* client hung up; nothing to do */
    });
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        received,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

describe('SmtpMailer', () => {
  it('given a local SMTP server, when a mail is sent, then the server receives the envelope and the body', async () => {
    const smtp = await startSmtpServer();
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'Chronicle <noreply@chronicle.test>' });
    try {
      await mailer.send(mail);
    } finally {
      mailer.close();
      await smtp.close();
    }

    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    expect(got.from).toContain('<noreply@chronicle.test>');
    expect(got.to).toEqual([expect.stringContaining('<alice@example.com>')]);
    expect(got.data).toMatch(/^Subject: Reset your Chronicle password$/m);
    expect(got.data).toMatch(/^From: Chronicle <noreply@chronicle\.test>$/m);
    expect(got.data).toContain('token: 3f9c2a7b');
  });

  it('given a server that refuses the recipient, then send rejects', async () => {
    const server = net.createServer((socket) => {
      socket.write('220 localhost ESMTP\r\n');
      socket.on('data', (chunk) => {
        for (const line of chunk.toString().split('\r\n').filter(Boolean)) {
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO' || verb === 'HELO' || verb === 'MAIL' || verb === 'RSET') socket.write('250 OK\r\n');
          else if (verb === 'RCPT') socket.write('550 5.1.1 No such user\r\n');
          else if (verb === 'QUIT') {
            socket.write('221 Bye\r\n');
            socket.end();
          } else socket.write('502 Not implemented\r\n');
        }
      });
      socket.on('error', () => {
        /* client hung up */
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      await expect(mailer.send(mail)).rejects.toThrow();
    } finally {
      mailer.close();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
