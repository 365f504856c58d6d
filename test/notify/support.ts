// Shared pieces of the notify tests: a webhook receiver on a local port that checks signatures, customers with an e-mail address, and events written straight to the outbox.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Bulwark } from '../../src/app.ts';
import { verifyWebhookSignature } from '../../src/notify/signature.ts';
import type { NotifyTopic } from '../../src/notify/topics.ts';
import { writeOutbox } from '../../src/platform/outbox.ts';
import { idemKey } from '../helpers.ts';

export interface Received {
  path: string;
  deliveryId: string;
  topic: string;
  attempt: number;
  signature: string;
  body: string;
  /** Whether the signature verified against the secret of the path (when one was registered). */
  verified: boolean | null;
}

/** What the receiver does with a request: answer now with a status, or hold it until released. */
export type Answer = number | 'hold';

/**
 * A webhook receiver: records every request (also those it holds or whose client gave
 * up), verifies the signature with the secret registered for the path, and answers as
 * `answer` says.
 */
export class Receiver {
  readonly received: Received[] = [];
  readonly secrets = new Map<string, string>();
  answer: (r: Received) => Answer = () => 200;
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const header = (name: string) => String(req.headers[name] ?? '');
      const secret = this.secrets.get(path);
      const r: Received = {
        path,
        deliveryId: header('bulwark-delivery'),
        topic: header('bulwark-event'),
        attempt: Number(header('bulwark-attempt')),
        signature: header('bulwark-signature'),
        body,
        verified:
          secret === undefined
            ? null
            : verifyWebhookSignature({ secret, header: header('bulwark-signature'), body }).ok,
      };
      this.received.push(r);
      const answer = this.answer(r);
      if (answer === 'hold') {
        this.held.push(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Answers every held request with a status (a client that gave up is not told). */
  release(status = 200): void {
    for (const res of this.held.splice(0)) {
      if (!res.destroyed) res.writeHead(status).end('late');
    }
  }

  /** Deliveries received per delivery id. */
  countByDelivery(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.received) counts.set(r.deliveryId, (counts.get(r.deliveryId) ?? 0) + 1);
    return counts;
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) throw new Error('the receiver did not get what was expected in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.release(503);
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

export const PASSWORD = 'Violet-Harbour-Kettle-93!';

let seq = 0;
/** A customer registered with an e-mail address (and no phone); returns the id, address and access header. */
export async function customerWithEmail(
  bw: Bulwark,
  name = 'Li',
): Promise<{ id: string; email: string; auth: string }> {
  seq += 1;
  const email = `${name.toLowerCase()}.${process.pid}.${seq}.${Date.now().toString(36)}@example.test`;
  const res = await bw.app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    headers: { 'content-type': 'application/json', 'idempotency-key': idemKey('reg') },
    payload: JSON.stringify({
      email,
      password: PASSWORD,
      displayName: name,
      consent: { policyVersion: bw.config.privacyPolicyVersion, accepted: true },
    }),
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json() as { customerId: string; tokens: { accessToken: string } };
  return { id: body.customerId, email, auth: `Bearer ${body.tokens.accessToken}` };
}

/** Writes events to the outbox as their producers do, in one transaction. */
export async function writeEvents(
  bw: Bulwark,
  events: Array<{ topic: NotifyTopic; payload: Record<string, unknown> }>,
): Promise<void> {
  await bw.dbHandle.db.transaction().execute((tx) =>
    writeOutbox(
      tx,
      events.map((e) => ({
        topic: e.topic,
        aggregateId: String(Object.values(e.payload)[0]),
        payload: e.payload,
      })),
    ),
  );
}

/** Hands the outbox to the relay's subscribers and waits until the intake has taken everything in. */
export async function relayAndTakeIn(bw: Bulwark): Promise<void> {
  await bw.relay.drain();
  await bw.notify.intake.flush();
}

/** Creates a webhook endpoint through the API as the given staff header; returns its id and secret. */
export async function createEndpoint(
  bw: Bulwark,
  auth: string,
  body: { url: string; topics: string[]; description?: string; enabled?: boolean },
): Promise<{ id: string; secret: string }> {
  const res = await bw.app.inject({
    method: 'POST',
    url: '/v1/notify/webhooks',
    headers: { authorization: auth, 'content-type': 'application/json', 'idempotency-key': idemKey('whk') },
    payload: JSON.stringify(body),
  });
  expect(res.statusCode, res.body).toBe(201);
  const created = res.json() as { webhook: { id: string }; secret: string };
  return { id: created.webhook.id, secret: created.secret };
}
