import { createTransport } from 'nodemailer';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import { maskEmail } from '../security/mask.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';

/** One e-mail as the delivery worker hands it over. */
export interface OutgoingMail {
  /** The delivery (`dlv_…`): the same on a retry, so the Message-ID is too. */
  deliveryId: string;
  recipientId: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** Where e-mails go: an SMTP server, or the embedded mailbox when none is configured. */
export interface Mailer {
  readonly kind: 'smtp' | 'mailbox';
  /** Resolves once the mail is accepted; throws when it was not (the delivery retries). */
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

/** `<dlv_…@domain>`: receivers and mail clients drop a second copy with the same Message-ID. */
export function messageIdOf(deliveryId: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'bulwark.local';
  return `<${deliveryId}@${domain}>`;
}

/**
 * An error text fit for the delivery log and the process log: no address in it. SMTP
 * servers like to quote the recipient ("<li@example.com>: Recipient address rejected").
 */
export function redactAddresses(text: string): string {
  return text.replace(/[^\s<>"'@,;:()]+@[^\s<>"'@,;:()]+/g, '<address>').slice(0, 300);
}

/** SMTP through nodemailer, with every wait bounded. */
export class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  private readonly transport: ReturnType<typeof createTransport>;

  constructor(private readonly options: { url: string; from: string; timeoutMs: number }) {
    this.transport = createTransport({
      url: options.url,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({
      from: this.options.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId: mail.messageId,
      headers: { 'X-Bulwark-Delivery': mail.deliveryId },
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * The embedded mailbox: with no SMTP server configured (embedded mode), e-mails are kept
 * in `notify_emails` for the console to show, the address sealed and masked. One row per
 * delivery, whatever the number of attempts: a resend after a crash stores nothing new.
 */
export class LocalMailbox implements Mailer {
  readonly kind = 'mailbox' as const;

  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  async send(mail: OutgoingMail): Promise<void> {
    const id = newId('eml');
    await this.db
      .insertInto('notify_emails')
      .values({
        id,
        delivery_id: mail.deliveryId,
        recipient_id: mail.recipientId,
        to_sealed: this.vault.seal(mail.to, sealContext('notify_emails', 'to_sealed', id)),
        to_masked: maskEmail(mail.to),
        subject: mail.subject,
        body_text: mail.text,
        message_id: mail.messageId,
        created_at: this.clock.now(),
      })
      .onConflict((oc) => oc.column('delivery_id').doNothing())
      .execute();
  }

  async close(): Promise<void> {}
}
