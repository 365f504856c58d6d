// Exactly once per (event, recipient, channel) across restarts: a redelivered outbox event adds nothing; events whose intake a crash lost are found by the next process; a sender stopped in the middle of delivery and a new process on the same database send nothing twice that was marked delivered; a sender that died mid-send is taken over after its lease, and its late answer changes nothing.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bulwark, buildBulwark } from '../../src/app.ts';
import { loadNotifySettings } from '../../src/notify/config.ts';
import { NotifyIntake } from '../../src/notify/intake.ts';
import { LocalMailbox, type Mailer } from '../../src/notify/mailer.ts';
import { NOTIFY_TOPICS, type NotifyTopic, patternCovers, planEvent } from '../../src/notify/topics.ts';
import { DeliveryWorker } from '../../src/notify/worker.ts';
import type { DbHandle } from '../../src/platform/db.ts';
import { newId } from '../../src/platform/ids.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DATABASES, freshDatabase, idemKey, staffSession, testConfig } from '../helpers.ts';
import { samplePayloads } from './samples.ts';
import { createEndpoint, customerWithEmail, Receiver, relayAndTakeIn, writeEvents } from './support.ts';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
type Event = { topic: NotifyTopic; payload: Record<string, unknown> };

for (const target of DATABASES) {
  describe(`exactly-once notifications across restarts on ${target.name}`, () => {
    let handle: DbHandle & { drop(): Promise<void> };
    const receiver = new Receiver();
    const processes: Bulwark[] = [];
    const boot = async () => {
      const bw = await buildBulwark({ config: testConfig(), log, dbHandle: handle, starterRules: false });
      processes.push(bw);
      return bw;
    };
    const db = () => handle.db;
    const endpoints: Array<{ id: string; path: string; topics: string[] }> = [];
    /** Every event written, with what it should produce. */
    const events: Event[] = [];
    let bw1: Bulwark;
    let bw2: Bulwark;

    const counts = async () => {
      const r = await sql<{ inbox: bigint; email: bigint; webhook: bigint; events: bigint }>`
        select (select count(*) from notify_notifications)::int8 as inbox,
          (select count(*) from notify_deliveries where channel = 'email')::int8 as email,
          (select count(*) from notify_deliveries where channel = 'webhook')::int8 as webhook,
          (select count(*) from notify_events)::int8 as events`.execute(db());
      const row = r.rows[0];
      return {
        inbox: Number(row?.inbox),
        email: Number(row?.email),
        webhook: Number(row?.webhook),
        events: Number(row?.events),
      };
    };
    /** What the events written so far must have produced, each exactly once. */
    const expected = () => {
      let inbox = 0;
      let email = 0;
      let webhook = 0;
      for (const e of events) {
        const messages = planEvent(e.topic, e.payload);
        inbox += messages.length;
        email += messages.filter((m) => m.email).length;
        webhook += endpoints.filter((h) => h.topics.some((p) => patternCovers(p, e.topic))).length;
      }
      return { inbox, email, webhook, events: events.length };
    };
    const unfinished = async () => {
      const r = await db()
        .selectFrom('notify_deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };

    beforeAll(async () => {
      handle = await freshDatabase(target);
      await receiver.start();
    });
    afterAll(async () => {
      for (const bw of processes) await bw.close();
      await receiver.stop();
      await handle.drop();
    });

    it('takes each event in once per recipient and channel, however often it is delivered', async () => {
      bw1 = await boot();
      const admin = (await staffSession(bw1, 'admin')).auth;
      for (const [path, topics] of [
        ['/a', ['*']],
        ['/b', ['wallet.', 'identity.']],
      ] as const) {
        const e = await createEndpoint(bw1, admin, { url: `${receiver.url}${path}`, topics: [...topics] });
        receiver.secrets.set(path, e.secret);
        endpoints.push({ id: e.id, path, topics: [...topics] });
      }
      const staffId = (await staffSession(bw1, 'analyst')).id;
      const merchantId = newId('mer');
      const customers = [
        await customerWithEmail(bw1, 'Li'),
        await customerWithEmail(bw1, 'Wang'),
        await customerWithEmail(bw1, 'Zhang'),
      ];
      for (const c of customers) {
        const samples = samplePayloads({ customerId: c.id, merchantId, staffId });
        for (const topic of NOTIFY_TOPICS) events.push({ topic, payload: samples[topic] });
      }
      await writeEvents(bw1, events);

      // A real producer too: freezing a customer through the API writes wallet.owner.frozen.
      const client = await bw1.apiClients.create(
        { name: 'ops', role: 'integrator' },
        { type: 'system', id: 'test' },
      );
      const frozenId = customers[0]?.id ?? '';
      const freeze = await bw1.app.inject({
        method: 'POST',
        url: `/v1/owners/${frozenId}/freeze`,
        headers: {
          authorization: `Bearer ${client.key}`,
          'content-type': 'application/json',
          'idempotency-key': idemKey('freeze'),
        },
        payload: JSON.stringify({ reason: 'suspected account takeover' }),
      });
      expect(freeze.statusCode, freeze.body).toBe(200);
      events.push({
        topic: 'wallet.owner.frozen',
        payload: { ownerId: frozenId, reason: 'suspected account takeover' },
      });

      await relayAndTakeIn(bw1);
      const first = await counts();
      expect(first).toEqual(expected());
      expect(first.webhook).toBe(46 + 25);

      // The relay delivers at least once: every event again, as after a crash before its commit.
      await sql`update outbox set published_at = null`.execute(db());
      expect(await bw1.relay.drain()).toBeGreaterThanOrEqual(events.length);
      await bw1.notify.intake.flush();
      expect(await counts()).toEqual(first);

      // The catch-up scan from the very start finds nothing left to take in.
      await sql`update notify_intake_cursor set last_event_id = 0`.execute(db());
      expect(await bw1.notify.intake.catchUp({ publishedBeforeS: 0 })).toBe(0);
      expect(await counts()).toEqual(first);

      const duplicates = await sql<{ n: bigint }>`select count(*)::int8 as n from (
          select event_id, recipient_id from notify_notifications group by 1, 2 having count(*) > 1) d`.execute(
        db(),
      );
      expect(Number(duplicates.rows[0]?.n)).toBe(0);
      const inbox = await bw1.app.inject({
        method: 'GET',
        url: '/v1/me/notifications?limit=100',
        headers: { authorization: customers[1]?.auth ?? '' },
      });
      expect(inbox.statusCode, inbox.body).toBe(200);
      // Every topic but the merchant's unfreeze, the staff assignment and the alert, once each.
      expect((inbox.json() as { notifications: unknown[] }).notifications).toHaveLength(
        NOTIFY_TOPICS.length - 3,
      );

      // Events the relay published to a process that died before its intake ran: in the outbox, nowhere else.
      const lost = samplePayloads({ customerId: customers[2]?.id ?? '', merchantId, staffId });
      const crashed: Event[] = [
        { topic: 'wallet.hold.placed', payload: lost['wallet.hold.placed'] },
        { topic: 'identity.password.changed', payload: lost['identity.password.changed'] },
        { topic: 'support.dispute.opened', payload: lost['support.dispute.opened'] },
      ];
      for (const e of crashed) {
        await sql`insert into outbox (topic, aggregate_id, payload, published_at)
          values (${e.topic}, 'x', ${JSON.stringify(e.payload)}::jsonb, now() - interval '2 minutes')`.execute(
          db(),
        );
      }
      events.push(...crashed);
      expect(await counts()).toEqual(first);
    });

    it('sends nothing twice that was delivered when the sender stops mid-way and a new process takes over', async () => {
      const answeredBeforeStop = new Set<string>();
      const heldAtStop = new Set<string>();
      receiver.answer = (r) => {
        if (answeredBeforeStop.size < 10) {
          answeredBeforeStop.add(r.deliveryId);
          return 200;
        }
        heldAtStop.add(r.deliveryId);
        return 'hold';
      };
      bw1.notify.worker.start();
      // Until every sending lane is stuck on a held call (or ran out of work): nothing arrives for a while.
      await receiver.waitFor(() => receiver.heldCount > 0);
      for (let seen = -1; seen !== receiver.received.length; ) {
        seen = receiver.received.length;
        await new Promise((r) => setTimeout(r, 300));
      }
      // Stopping interrupts the calls in flight; they go back to pending, as a crash's would after the lease.
      await bw1.close();
      processes.splice(processes.indexOf(bw1), 1);
      expect(heldAtStop.size).toBe(receiver.heldCount);
      expect(heldAtStop.size).toBeGreaterThan(0);
      expect(heldAtStop.size).toBeLessThanOrEqual(loadNotifySettings({}).concurrency);
      expect(await unfinished()).toBeGreaterThan(0);
      const interrupted = await db()
        .selectFrom('notify_delivery_attempts')
        .select('delivery_id')
        .where('outcome', '=', 'interrupted')
        .execute();
      expect(new Set(interrupted.map((a) => a.delivery_id))).toEqual(heldAtStop);
      receiver.release(503);

      // The next process, and at the same time another one's intake, on the same database.
      receiver.answer = () => 200;
      bw2 = await boot();
      const otherIntake = new NotifyIntake({
        db: db(),
        clock: bw2.clock,
        log,
        settings: loadNotifySettings({}),
        emailOf: async (id) => (await bw2.accounts.contacts(id)).email,
        onDeliveries: () => undefined,
      });
      await Promise.all([bw2.runMaintenance(), otherIntake.catchUp()]);
      expect(await counts()).toEqual(expected());
      for (let i = 0; i < 500 && (await unfinished()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await unfinished()).toBe(0);

      const deliveries = await db()
        .selectFrom('notify_deliveries')
        .select(['id', 'event_id', 'channel', 'target_id', 'status'])
        .execute();
      expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
      const webhooks = deliveries.filter((d) => d.channel === 'webhook');
      const received = receiver.countByDelivery();
      expect(new Set(received.keys())).toEqual(new Set(webhooks.map((d) => d.id)));
      for (const d of webhooks) {
        // Delivered before the stop: once. In flight at the stop: again, with the same id, for the receiver to drop.
        const times = received.get(d.id);
        if (heldAtStop.has(d.id)) expect(times, d.id).toBe(2);
        else expect(times, d.id).toBe(1);
      }
      expect([...answeredBeforeStop].every((id) => received.get(id) === 1)).toBe(true);
      // One delivery id per (event, endpoint), every request signed.
      const idsPerEventAndPath = new Map<string, Set<string>>();
      for (const r of receiver.received) {
        expect(r.verified).toBe(true);
        const key = `${r.path}|${(JSON.parse(r.body) as { eventId: string }).eventId}`;
        idsPerEventAndPath.set(key, (idsPerEventAndPath.get(key) ?? new Set()).add(r.deliveryId));
      }
      expect(idsPerEventAndPath.size).toBe(webhooks.length);
      expect([...idsPerEventAndPath.values()].every((ids) => ids.size === 1)).toBe(true);
      // One e-mail per (event, customer) in the mailbox, the address sealed and masked.
      const emails = await db()
        .selectFrom('notify_emails')
        .select(['delivery_id', 'to_masked', 'to_sealed'])
        .execute();
      expect(emails.length).toBe(deliveries.filter((d) => d.channel === 'email').length);
      expect(new Set(emails.map((e) => e.delivery_id)).size).toBe(emails.length);
      expect(
        emails.every(
          (e) => /^[a-z]\*{5}@example\.test$/.test(e.to_masked) && e.to_sealed.startsWith('enc1:'),
        ),
      ).toBe(true);
    });

    it('takes over what a sender that died mid-send left, once its lease ran out; its late answer changes nothing', async () => {
      await bw2.notify.worker.close();
      const settings = loadNotifySettings({});
      // The dying process stores its e-mails and then never records them, and its webhook calls hang.
      let releaseMail: () => void = () => undefined;
      const mailHang = new Promise<void>((r) => {
        releaseMail = r;
      });
      const mailbox = new LocalMailbox(db(), bw2.vault, bw2.clock);
      const hangingMailer: Mailer = {
        kind: 'mailbox',
        send: async (mail) => {
          await mailbox.send(mail);
          await mailHang;
        },
        close: async () => undefined,
      };
      const worker = (mailer: Mailer) =>
        new DeliveryWorker({
          db: db(),
          vault: bw2.vault,
          mailer,
          emailOf: async (id) => (await bw2.accounts.contacts(id)).email,
          clock: bw2.clock,
          log,
          settings,
        });
      const customer = await customerWithEmail(bw2, 'Zhao');
      const fresh: Event[] = [
        {
          topic: 'wallet.hold.rejected',
          payload: samplePayloads({
            customerId: customer.id,
            merchantId: newId('mer'),
            staffId: newId('stf'),
          })['wallet.hold.rejected'],
        },
        {
          topic: 'identity.phone.changed',
          payload: { customerId: customer.id, at: new Date().toISOString() },
        },
      ];
      await writeEvents(bw2, fresh);
      events.push(...fresh);
      await relayAndTakeIn(bw2);
      expect(await counts()).toEqual(expected());
      const made = await db()
        .selectFrom('notify_deliveries')
        .select(['id', 'channel'])
        .where('status', '=', 'pending')
        .execute();
      expect(made.filter((d) => d.channel === 'webhook')).toHaveLength(4);
      expect(made.filter((d) => d.channel === 'email')).toHaveLength(2);

      const before = receiver.received.length;
      receiver.answer = () => 'hold';
      const dying = worker(hangingMailer);
      const dyingRound = dying.deliverDue();
      await receiver.waitFor(() => receiver.heldCount === 4);
      const claimed = await db()
        .selectFrom('notify_deliveries')
        .select(['id', 'locked_until'])
        .where('status', '=', 'sending')
        .execute();
      expect(claimed).toHaveLength(6);

      // Before the lease runs out nobody else touches them; after it, a new process does.
      receiver.answer = () => 200;
      const rescuer = worker(new LocalMailbox(db(), bw2.vault, bw2.clock));
      expect(await rescuer.deliverDue(new Date(Date.now() + 1_000))).toBe(0);
      expect(await rescuer.deliverDue(new Date(Date.now() + settings.leaseMs + 1_000))).toBe(6);
      expect(await unfinished()).toBe(0);

      // The dying process comes back: its calls get answered and it records them, but the lease is gone.
      receiver.release(200);
      releaseMail();
      await dyingRound;
      const after = await db()
        .selectFrom('notify_deliveries')
        .select(['id', 'status', 'attempts', 'channel'])
        .where(
          'id',
          'in',
          made.map((d) => d.id),
        )
        .execute();
      expect(after.every((d) => d.status === 'delivered' && d.attempts === 2)).toBe(true);
      const log2 = await db()
        .selectFrom('notify_delivery_attempts')
        .select(['delivery_id', 'attempt', 'outcome'])
        .where(
          'delivery_id',
          'in',
          made.map((d) => d.id),
        )
        .execute();
      expect(log2).toHaveLength(12);
      // Each webhook went out twice in the crash window, with one id; each e-mail is in the mailbox once.
      const got = receiver.received.slice(before);
      expect(got).toHaveLength(8);
      const byId = new Map<string, number>();
      for (const r of got) byId.set(r.deliveryId, (byId.get(r.deliveryId) ?? 0) + 1);
      expect([...byId.values()]).toEqual([2, 2, 2, 2]);
      const mails = await db()
        .selectFrom('notify_emails')
        .select('delivery_id')
        .where(
          'delivery_id',
          'in',
          made.filter((d) => d.channel === 'email').map((d) => d.id),
        )
        .execute();
      expect(mails).toHaveLength(2);
    });
  });
}
