// Proves invariant 4 under concurrency: one idempotency key has exactly one effect whether its duplicates share a batch, arrive in later batches or go through two writers, a different request under the same key is a conflict, and runIdempotent gives the same guarantees.
import { describe, expect, it } from 'vitest';
import type { LedgerCommand, SubmitResult } from '../../src/ledger/commands.ts';
import { LedgerService } from '../../src/ledger/service.ts';
import { LedgerWriter } from '../../src/ledger/writer.ts';
import type { Tx } from '../../src/platform/db.ts';
import { AppError } from '../../src/platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../../src/platform/idempotency.ts';
import { DATABASES, idemKey, type TestBulwark, useBulwark } from '../helpers.ts';
import {
  allowDecision,
  createCustomerWallet,
  entriesOfDecision,
  idemSpec,
  renderOutcome,
  topUp,
} from './support.ts';

const COPIES = 50;

type Submit = (cmd: LedgerCommand) => Promise<SubmitResult>;

/**
 * Submits `count` commands, round-robin over the submitters. `spread` yields to the event
 * loop every few submissions, so later copies meet the key in a later batch (or, with two
 * writers, in a concurrent transaction) instead of in the same one.
 */
async function submitAll(
  submitters: Submit[],
  commands: LedgerCommand[],
  spread: boolean,
): Promise<Array<PromiseSettledResult<SubmitResult>>> {
  const pending: Array<Promise<SubmitResult>> = [];
  for (const [i, cmd] of commands.entries()) {
    const submit = submitters[i % submitters.length];
    if (!submit) throw new Error('no submitter');
    const result = submit(cmd);
    // Rejections are inspected below; mark them handled now, while later copies are still being sent.
    result.catch(() => undefined);
    pending.push(result);
    if (spread && i % 5 === 4) await new Promise((r) => setTimeout(r, i % 3));
  }
  return Promise.allSettled(pending);
}

interface Fixture {
  from: string;
  to: string;
}

async function fixture(bw: TestBulwark): Promise<Fixture> {
  const { db } = bw.dbHandle;
  const from = await createCustomerWallet(db, bw.ledger);
  const to = await createCustomerWallet(db, bw.ledger);
  await topUp(bw.ledger, from.walletId, 1_000_000n);
  return { from: from.walletId, to: to.walletId };
}

function transfer(f: Fixture, amountMinor: bigint, idempotency: LedgerCommand['idempotency']): LedgerCommand {
  return {
    type: 'post',
    kind: 'transfer',
    rule: 'transfer',
    params: { from: f.from, to: f.to },
    currency: 'CNY',
    amountMinor,
    decision: { record: allowDecision({ amountMinor }) },
    metadata: {},
    ...(idempotency ? { idempotency } : {}),
  };
}

function decisionOf(cmd: LedgerCommand): string {
  if (cmd.type !== 'post' || !('record' in cmd.decision))
    throw new Error('expected a post with its decision');
  return cmd.decision.record.id;
}

function fulfilled(results: Array<PromiseSettledResult<SubmitResult>>): SubmitResult[] {
  return results.map((r, i) => {
    if (r.status === 'rejected') throw new Error(`copy ${i} was rejected: ${String(r.reason)}`);
    return r.value;
  });
}

/** One key, one request, many copies: exactly one applies, every other copy replays its response. */
async function expectOneEffect(bw: TestBulwark, submitters: Submit[], spread: boolean): Promise<void> {
  const f = await fixture(bw);
  const headBefore = (await bw.ledger.chainHead()).seq;
  const cmd = transfer(f, 777n, idemSpec('idem-same'));
  const results = fulfilled(
    await submitAll(
      submitters,
      Array.from({ length: COPIES }, () => cmd),
      spread,
    ),
  );
  const fresh = results.filter((r) => !r.replayed);
  expect(fresh).toHaveLength(1);
  const first = fresh[0];
  if (!first || first.replayed || !first.outcome.ok || !first.outcome.entry)
    throw new Error('no applied copy');
  expect(first.response).toEqual(renderOutcome(first.outcome));
  for (const r of results) expect(r.response).toEqual(first.response);
  expect(results.filter((r) => r.replayed)).toHaveLength(COPIES - 1);
  expect(await entriesOfDecision(bw.dbHandle.db, decisionOf(cmd))).toBe(1);
  expect((await bw.ledger.chainHead()).seq).toBe(headBefore + 1n);
  expect((await bw.ledger.getAccount(f.to)).postedMinor).toBe(777n);
  expect((await bw.ledger.getAccount(f.from)).postedMinor).toBe(1_000_000n - 777n);
}

/** One key, a different request per copy: exactly one applies, every other is a conflict. */
async function expectConflicts(bw: TestBulwark, submitters: Submit[], spread: boolean): Promise<void> {
  const f = await fixture(bw);
  const headBefore = (await bw.ledger.chainHead()).seq;
  const key = idemKey('idem-conflict');
  const commands = Array.from({ length: COPIES }, (_, i) =>
    transfer(f, BigInt(1 + i), { scope: 'test', key, requestHash: `request-${i}`, render: renderOutcome }),
  );
  const results = await submitAll(submitters, commands, spread);
  const applied: number[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') {
      expect(r.value.replayed, `copy ${i} must not replay another request's response`).toBe(false);
      applied.push(i);
    } else {
      expect(r.reason).toBeInstanceOf(AppError);
      expect(r.reason instanceof AppError ? r.reason.code : r.reason, `copy ${i}`).toBe(
        'IDEMPOTENCY_KEY_CONFLICT',
      );
    }
  }
  expect(applied).toHaveLength(1);
  const winner = applied[0] ?? -1;
  const won = commands[winner];
  if (!won) throw new Error('no winner');
  expect(await entriesOfDecision(bw.dbHandle.db, decisionOf(won))).toBe(1);
  for (const [i, c] of commands.entries()) {
    if (i !== winner) expect(await entriesOfDecision(bw.dbHandle.db, decisionOf(c))).toBe(0);
  }
  expect((await bw.ledger.chainHead()).seq).toBe(headBefore + 1n);
  expect((await bw.ledger.getAccount(f.to)).postedMinor).toBe(BigInt(1 + winner));
}

async function withSecondWriter(
  bw: TestBulwark,
  body: (submitters: Submit[]) => Promise<void>,
): Promise<void> {
  const writer = new LedgerWriter(bw.dbHandle.db, bw.log, { batchMax: 8, queueMax: 1_000 });
  const ledger = new LedgerService(bw.dbHandle.db, writer);
  try {
    await body([(c) => bw.ledger.submit(c), (c) => ledger.submit(c)]);
  } finally {
    await writer.close();
  }
}

for (const target of DATABASES) {
  describe(`ledger idempotency on ${target.name}`, () => {
    const bw = useBulwark(target);
    const one = (): Submit[] => [(c) => bw().ledger.submit(c)];

    it('50 copies of one request in one batch: one entry, 49 identical replays', async () => {
      await expectOneEffect(bw(), one(), false);
    });

    it('50 copies of one request spread over many batches: one entry, 49 identical replays', async () => {
      await expectOneEffect(bw(), one(), true);
    });

    it('one key with 50 different requests, in one batch and spread: one applied, the rest conflict', async () => {
      await expectConflicts(bw(), one(), false);
      await expectConflicts(bw(), one(), true);
    });

    it('two writers at once: one effect per key, conflicts for different requests', async () => {
      await withSecondWriter(bw(), async (submitters) => {
        await expectOneEffect(bw(), submitters, false);
        await expectOneEffect(bw(), submitters, true);
        await expectConflicts(bw(), submitters, false);
        await expectConflicts(bw(), submitters, true);
      });
    });

    it('a key whose transaction failed is not taken: the retry applies once', async () => {
      const f = await fixture(bw());
      const spec = idemSpec('idem-retry');
      const failing: LedgerCommand = {
        ...transfer(f, 5n, spec),
        inTx: async () => {
          throw new Error('crash inside the transaction');
        },
      };
      await expect(bw().ledger.submit(failing)).rejects.toThrow('crash inside the transaction');
      const stored = await bw()
        .dbHandle.db.selectFrom('idempotency_keys')
        .select('key')
        .where('scope', '=', spec.scope)
        .where('key', '=', spec.key)
        .execute();
      expect(stored).toEqual([]);
      const retry = transfer(f, 5n, spec);
      const results = fulfilled(await submitAll(one(), [retry, retry, retry], false));
      expect(results.map((r) => r.replayed)).toEqual([false, true, true]);
      expect(await entriesOfDecision(bw().dbHandle.db, decisionOf(failing))).toBe(0);
      expect(await entriesOfDecision(bw().dbHandle.db, decisionOf(retry))).toBe(1);
      expect((await bw().ledger.getAccount(f.to)).postedMinor).toBe(5n);
    });

    describe('runIdempotent', () => {
      async function effects(aggregateId: string): Promise<number> {
        const rows = await bw()
          .dbHandle.db.selectFrom('outbox')
          .select('id')
          .where('aggregate_id', '=', aggregateId)
          .execute();
        return rows.length;
      }

      function effect(aggregateId: string, n: number, fail: () => boolean = () => false) {
        return async (tx: Tx) => {
          await tx
            .insertInto('outbox')
            .values({ topic: 'test.idempotent', aggregate_id: aggregateId, payload: JSON.stringify({ n }) })
            .execute();
          if (fail()) throw new Error(`effect ${n} failed`);
          return { statusCode: 201, body: { aggregateId, n, at: new Date().toISOString() } };
        };
      }

      it('50 concurrent copies of one request: one effect, 49 identical replays', async () => {
        const ctx: IdempotencyContext = { scope: 'test-run', key: idemKey('run-same'), requestHash: 'h' };
        const aggregate = ctx.key;
        const results = await Promise.all(
          Array.from({ length: COPIES }, (_, i) =>
            runIdempotent(bw().dbHandle.db, ctx, effect(aggregate, i)),
          ),
        );
        const fresh = results.filter((r) => !r.replayed);
        expect(fresh).toHaveLength(1);
        for (const r of results) expect(r.response).toEqual(fresh[0]?.response);
        expect(await effects(aggregate)).toBe(1);
      });

      it('50 concurrent different requests under one key: one effect, the rest conflict', async () => {
        const key = idemKey('run-conflict');
        const results = await Promise.allSettled(
          Array.from({ length: COPIES }, (_, i) =>
            runIdempotent(
              bw().dbHandle.db,
              { scope: 'test-run', key, requestHash: `h-${i}` },
              effect(key, i),
            ),
          ),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        expect(ok).toHaveLength(1);
        expect(ok[0]?.status === 'fulfilled' && ok[0].value.replayed).toBe(false);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason instanceof AppError ? r.reason.code : r.reason).toBe('IDEMPOTENCY_KEY_CONFLICT');
          }
        }
        expect(await effects(key)).toBe(1);
      });

      it('an effect that fails leaves the key free for the next copy, which applies once', async () => {
        const ctx: IdempotencyContext = { scope: 'test-run', key: idemKey('run-fail'), requestHash: 'h' };
        // Whichever copy runs the effect first fails; every later run succeeds.
        let runs = 0;
        const failFirst = () => ++runs === 1;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            runIdempotent(bw().dbHandle.db, ctx, effect(ctx.key, i, failFirst)),
          ),
        );
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(
          failures.filter((e) => e instanceof Error && /effect \d+ failed/.test(e.message)),
        ).toHaveLength(1);
        // Copies that looked the key up in the failed attempt's window may be told to retry; none may apply twice.
        for (const e of failures) {
          if (!(e instanceof Error && /effect \d+ failed/.test(e.message))) {
            expect(e instanceof AppError ? e.code : e).toBe('SERVICE_OVERLOADED');
          }
        }
        const values = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const fresh = values.filter((v) => !v.replayed);
        expect(fresh).toHaveLength(1);
        expect(runs).toBe(2);
        for (const v of values) expect(v.response).toEqual(fresh[0]?.response);
        expect(await effects(ctx.key)).toBe(1);
      });
    });
  });
}
