// E-mail over SMTP (BULWARK_SMTP_URL): a local SMTP server receives each notification once with the delivery's Message-ID and header; a refused recipient is retried later and the log never holds the address.

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, arr, at } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import { customerWithEmail, relayAndTakeIn, writeEvents } from './support.ts';

interface Mail {
  from: string;
  to: string[];
  data: string;
}

/** Just enough SMTP (RFC 5321) for nodemailer: no TLS, no auth; `refuse` decides RCPT answers. */
class SmtpServer {
  readonly mails: Mail[] = [];
  refuse: ((address: string) => string | null) | null = null;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private session(socket: Socket): void {
    let buffer = '';
    let inData = false;
    let mail: Mail = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost ESMTP test');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          mail.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          this.mails.push(mail);
          mail = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl === -1) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-localhost\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          mail.from = line;
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const refusal = this.refuse?.(address) ?? null;
          if (refusal) reply(refusal);
          else {
            mail.to.push(address);
            reply('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('e-mail over SMTP', () => {
  const smtp = new SmtpServer();
  let instance: TestBulwark | undefined;
  const bw = () => {
    if (!instance) throw new Error('Bulwark not started');
    return instance;
  };

  beforeAll(async () => {
    await smtp.start();
    const previous = { url: process.env.BULWARK_SMTP_URL, from: process.env.BULWARK_MAIL_FROM };
    process.env.BULWARK_SMTP_URL = `smtp://127.0.0.1:${smtp.port}`;
    process.env.BULWARK_MAIL_FROM = 'Bulwark Wallet <notices@wallet.example>';
    try {
      instance = await startBulwark({ name: 'pglite' }, { starterRules: false });
    } finally {
      for (const [name, value] of [
        ['BULWARK_SMTP_URL', previous.url],
        ['BULWARK_MAIL_FROM', previous.from],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
  afterAll(async () => {
    await instance?.drop();
    await smtp.stop();
  });

  it('sends each notification once, with the delivery id as Message-ID and header', async () => {
    expect(bw().notify.mailer.kind).toBe('smtp');
    const li = await customerWithEmail(bw(), 'Li');
    await writeEvents(bw(), [
      { topic: 'identity.password.changed', payload: { customerId: li.id, at: new Date().toISOString() } },
    ]);
    await relayAndTakeIn(bw());
    expect(await bw().notify.deliverDue()).toBe(1);
    expect(await bw().notify.deliverDue()).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail?.to).toEqual([li.email]);
    expect(mail?.from).toContain('notices@wallet.example');
    const id = /X-Bulwark-Delivery: (dlv_[0-9a-z]{26})/.exec(mail?.data ?? '')?.[1];
    expect(id).toBeDefined();
    expect(mail?.data).toContain(`Message-ID: <${id}@wallet.example>`);
    expect(mail?.data).toMatch(/^Subject: /m);
    // Nothing is kept in the embedded mailbox when SMTP is configured.
    const box = await new Api(bw).asStaff('admin').get('/v1/notify/emails');
    expect(at(box.body, 'mailer')).toBe('smtp');
    expect(arr(box.body, 'emails')).toEqual([]);
  });

  it('retries a refused recipient later and never writes the address to the log', async () => {
    const wang = await customerWithEmail(bw(), 'Wang');
    smtp.refuse = (address) => `550 5.1.1 <${address}>: Recipient address rejected`;
    await writeEvents(bw(), [
      { topic: 'identity.phone.changed', payload: { customerId: wang.id, at: new Date().toISOString() } },
    ]);
    await relayAndTakeIn(bw());
    expect(await bw().notify.deliverDue()).toBe(1);
    const row = await bw()
      .dbHandle.db.selectFrom('notify_deliveries')
      .selectAll()
      .where('target_id', '=', wang.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    expect(row.last_status_code).toBe(550);
    expect(row.last_error).toContain('<address>');
    expect(row.last_error).not.toContain(wang.email);
    expect(row.body).not.toContain(wang.email);
    smtp.refuse = null;
    expect(await bw().notify.deliverDue(new Date(Date.now() + 3_600_000))).toBe(1);
    expect(smtp.mails.filter((m) => m.to.includes(wang.email))).toHaveLength(1);
  });
});
