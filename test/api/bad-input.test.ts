// Proves that every refused request gets its catalogue status and code as a clean problem+json body, and that no refusal moves any money or extends the journal.
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestBulwark, useBulwark } from '../helpers.ts';
import { Api, expectProblem, type Reply, str } from './client.ts';

const UNKNOWN_WALLET = 'acct_00000000000000000000000000';

/** The chain head and every account's balances: what must not change when a request is refused. */
async function snapshot(bw: () => TestBulwark, api: Api) {
  const ids = await bw().dbHandle.db.selectFrom('ledger_accounts').select('id').orderBy('id').execute();
  const balances = await Promise.all(
    ids.map(async ({ id }) => {
      const a = await api.account(id);
      return [id, str(a, 'postedMinor'), str(a, 'heldMinor'), str(a, 'availableMinor')];
    }),
  );
  const chain = await api.get('/v1/ledger/chain');
  return { chain: chain.body, balances };
}

interface Case {
  name: string;
  status: number;
  code: string;
  send: () => Promise<Reply>;
}

for (const target of DATABASES) {
  describe(`refused requests on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    let alice = { id: '', walletId: '' };
    let bob = { id: '', walletId: '' };
    let merchant = { id: '', accountId: '' };
    let baseline: Awaited<ReturnType<typeof snapshot>> | undefined;

    beforeAll(async () => {
      alice = await api.fundedCustomer('Alice', '100000');
      bob = await api.customer('Bob');
      merchant = await api.merchant('Tea House', 60);
      baseline = await snapshot(bw, api);
    });

    const transfer = (over: Record<string, unknown> = {}) => ({
      fromWalletId: alice.walletId,
      toWalletId: bob.walletId,
      amountMinor: '100',
      currency: 'CNY',
      ...over,
    });
    const send = (over: Record<string, unknown>) => () => api.post('/v1/transfers', transfer(over));
    const amount = (amountMinor: unknown) => send({ amountMinor });

    const cases: Case[] = [
      {
        name: 'malformed JSON',
        status: 400,
        code: 'MALFORMED_JSON',
        send: () => api.post('/v1/transfers', undefined, { raw: '{"fromWalletId": ' }),
      },
      { name: 'amount as a JSON number', status: 400, code: 'VALIDATION_FAILED', send: amount(100) },
      { name: 'negative amount', status: 400, code: 'VALIDATION_FAILED', send: amount('-5') },
      { name: 'zero amount', status: 400, code: 'VALIDATION_FAILED', send: amount('0') },
      { name: 'fractional amount', status: 400, code: 'VALIDATION_FAILED', send: amount('12.50') },
      { name: 'amount with a leading zero', status: 400, code: 'VALIDATION_FAILED', send: amount('0100') },
      {
        name: 'amount of 20 digits',
        status: 400,
        code: 'VALIDATION_FAILED',
        send: amount('10000000000000000000'),
      },
      {
        name: 'amount above the maximum',
        status: 422,
        code: 'AMOUNT_TOO_LARGE',
        send: amount('1000000000000001'),
      },
      {
        name: 'amount of 18 nines',
        status: 422,
        code: 'AMOUNT_TOO_LARGE',
        send: amount('999999999999999999'),
      },
      { name: 'unknown currency', status: 422, code: 'CURRENCY_UNKNOWN', send: send({ currency: 'XXX' }) },
      { name: 'USD on CNY wallets', status: 422, code: 'CURRENCY_MISMATCH', send: send({ currency: 'USD' }) },
      {
        name: 'transfer to oneself',
        status: 422,
        code: 'WALLET_SELF_TRANSFER',
        send: () => api.post('/v1/transfers', transfer({ toWalletId: alice.walletId })),
      },
      {
        name: 'unknown wallet',
        status: 404,
        code: 'WALLET_NOT_FOUND',
        send: send({ toWalletId: UNKNOWN_WALLET }),
      },
      {
        name: 'a merchant account used as a wallet',
        status: 404,
        code: 'WALLET_NOT_FOUND',
        send: () => api.post('/v1/transfers', transfer({ toWalletId: merchant.accountId })),
      },
      {
        name: 'more than the balance',
        status: 422,
        code: 'LEDGER_INSUFFICIENT_FUNDS',
        send: () =>
          api.post('/v1/transfers', transfer({ fromWalletId: bob.walletId, toWalletId: alice.walletId })),
      },
      { name: 'unknown field', status: 400, code: 'VALIDATION_FAILED', send: send({ note: 'hi' }) },
      {
        name: 'text/plain body',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        send: () =>
          api.post('/v1/transfers', undefined, {
            raw: JSON.stringify(transfer()),
            headers: { 'content-type': 'text/plain' },
          }),
      },
      {
        name: 'form-encoded body',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        send: () =>
          api.post('/v1/transfers', undefined, {
            raw: 'amountMinor=100',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
      },
      {
        name: 'missing Idempotency-Key',
        status: 400,
        code: 'IDEMPOTENCY_KEY_MISSING',
        send: () => api.post('/v1/transfers', transfer(), { key: null }),
      },
      {
        name: 'too short Idempotency-Key',
        status: 400,
        code: 'IDEMPOTENCY_KEY_INVALID',
        send: () => api.post('/v1/transfers', transfer(), { key: 'short' }),
      },
      {
        name: 'unknown merchant',
        status: 404,
        code: 'WALLET_MERCHANT_NOT_FOUND',
        send: () =>
          api.post('/v1/payments', {
            walletId: alice.walletId,
            merchantId: 'mer_00000000000000000000000000',
            amountMinor: '100',
            currency: 'CNY',
          }),
      },
      {
        name: 'unknown route',
        status: 404,
        code: 'NOT_FOUND',
        send: () => api.post('/v1/transferz', transfer()),
      },
      { name: 'unknown GET route', status: 404, code: 'NOT_FOUND', send: () => api.get('/v1/nothing/here') },
    ];

    for (const c of cases) {
      it(`${c.name} → ${c.status} ${c.code}, nothing moved`, async () => {
        expectProblem(await c.send(), c.status, c.code);
        expect(await snapshot(bw, api)).toEqual(baseline);
      });
    }

    it('refuses transfers from a frozen owner until unfrozen', async () => {
      const before = await snapshot(bw, api);
      const frozen = await api.post(`/v1/owners/${alice.id}/freeze`, { reason: 'investigation' });
      expect(frozen.status, frozen.text).toBe(200);
      expect(frozen.body).toMatchObject({ status: 'frozen', accounts: [{ status: 'frozen' }] });
      expectProblem(await api.post('/v1/transfers', transfer()), 422, 'LEDGER_ACCOUNT_FROZEN');
      expect(await snapshot(bw, api)).toEqual(before);

      // Unfreezing is maker-checker: the request changes nothing until another staff user approves it.
      const asked = await api
        .asStaff('analyst')
        .post(`/v1/owners/${alice.id}/unfreeze`, { reason: 'cleared' });
      expect(asked.status, asked.text).toBe(202);
      expect(asked.body).toMatchObject({ action: 'owner.unfreeze', status: 'pending' });
      expectProblem(await api.post('/v1/transfers', transfer()), 422, 'LEDGER_ACCOUNT_FROZEN');
      expectProblem(
        await api.asStaff('analyst').post(`/v1/approvals/${str(asked.body, 'id')}/approve`, {}),
        403,
        'APPROVAL_SELF',
      );
      const approved = await api
        .asStaff('compliance')
        .post(`/v1/approvals/${str(asked.body, 'id')}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body).toMatchObject({ approval: { status: 'approved' } });
      expect((await api.post('/v1/transfers', transfer())).status).toBe(201);
    });

    it('replays a retried request, refuses the same key with another body, and applies one of 20 racing copies', async () => {
      const key = 'idem-retry-0001';
      const first = await api.post('/v1/transfers', transfer({ amountMinor: '250' }), { key });
      expect(first.status, first.text).toBe(201);
      const after = await snapshot(bw, api);

      const retry = await api.post('/v1/transfers', transfer({ amountMinor: '250' }), { key });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expectProblem(
        await api.post('/v1/transfers', transfer({ amountMinor: '251' }), { key }),
        409,
        'IDEMPOTENCY_KEY_CONFLICT',
      );
      expect(await snapshot(bw, api)).toEqual(after);

      const seq = BigInt(str(after.chain, 'seq'));
      const alice0 = await api.balance(alice.walletId);
      const raced = await Promise.all(
        Array.from({ length: 20 }, () =>
          api.post('/v1/transfers', transfer({ amountMinor: '333' }), { key: 'idem-race-0001' }),
        ),
      );
      expect(raced.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(new Set(raced.map((r) => str(r.body, 'entryId'))).size).toBe(1);
      expect(raced.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
      expect(BigInt(str((await api.get('/v1/ledger/chain')).body, 'seq'))).toBe(seq + 1n);
      expect((await api.balance(alice.walletId)).posted).toBe(alice0.posted - 333n);
    });

    it('replays a refused request retried with the same key as the same refusal', async () => {
      const url = '/v1/owners/cus_00000000000000000000000000/freeze';
      const key = 'idem-refused-0001';
      expectProblem(
        await api.post(url, { reason: 'unknown owner' }, { key }),
        404,
        'WALLET_CUSTOMER_NOT_FOUND',
      );
      // The retry must not report a freeze that never happened.
      expectProblem(
        await api.post(url, { reason: 'unknown owner' }, { key }),
        404,
        'WALLET_CUSTOMER_NOT_FOUND',
      );
    });

    describe('edge limits', () => {
      // One app with a small body limit and a small rate limit.
      const edge = useBulwark(target, { config: { bodyLimitBytes: 1024, rateLimitPerMinute: 5 } });
      const edgeApi = new Api(edge);

      /** Each test signs in as its own API client, hence its own rate-limit bucket. */
      const ownClient = async (name: string) => {
        const c = await edge().apiClients.create(
          { name, role: 'integrator' },
          { type: 'system', id: 'test' },
        );
        return { authorization: `Bearer ${c.key}` };
      };

      it('refuses a body over the configured limit with 413', async () => {
        const client = await ownClient('body-limit');
        const chain = await edgeApi.get('/v1/ledger/chain', client);
        const body = transfer({ memo: 'x'.repeat(2000) });
        expectProblem(
          await edgeApi.post('/v1/transfers', body, { headers: client }),
          413,
          'REQUEST_BODY_TOO_LARGE',
        );
        expect((await edgeApi.get('/v1/ledger/chain', client)).body).toEqual(chain.body);
      });

      it('answers the request over the rate limit with 429 and Retry-After', async () => {
        const client = await ownClient('rate-limit');
        for (let i = 0; i < 5; i++) expect((await edgeApi.get('/v1/ledger/chain', client)).status).toBe(200);
        const refused = await edgeApi.get('/v1/ledger/chain', client);
        expectProblem(refused, 429, 'RATE_LIMITED');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      });
    });
  });
}
