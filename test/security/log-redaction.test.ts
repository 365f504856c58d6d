// Proves personal data sent to the API never reaches the logs: a bank account number goes through withdrawal, review, approval, a refused request and channel callbacks with request logging at trace level, and appears in no log line.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { idemKey, startBulwark } from '../helpers.ts';

const ACCOUNT = '6217000010012345678';
const ID_NUMBER = '11010519491231002X';

describe('log redaction', () => {
  it('keeps account numbers out of every log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const bw = await startBulwark({ name: 'pglite' }, { log: createLogger('trace', false, sink) });
    try {
      bw.requestLogging.enabled = true;
      const post = (url: string, body: unknown) =>
        bw.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'idempotency-key': idemKey('redact') },
          payload: JSON.stringify(body),
        });
      const customer = await post('/v1/customers', { displayName: 'Li Wei', currencies: ['CNY'] });
      const walletId: unknown = customer.json().wallets[0].id;
      if (typeof walletId !== 'string') throw new Error('no wallet');
      const topup = await post('/v1/topups', {
        walletId,
        amountMinor: '5000000',
        currency: 'CNY',
        channel: 'simbank',
      });
      expect(topup.statusCode).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      const bankAccount = { accountNumber: ACCOUNT, holderName: 'Li Wei' };
      const small = await post('/v1/withdrawals', {
        walletId,
        amountMinor: '10000',
        currency: 'CNY',
        channel: 'simbank',
        bankAccount,
      });
      expect(small.statusCode).toBe(202);
      const large = await post('/v1/withdrawals', {
        walletId,
        amountMinor: '2500000',
        currency: 'CNY',
        channel: 'simbank',
        bankAccount,
      });
      expect(large.statusCode).toBe(202);
      const wrong = await post(`/v1/withdrawals/${large.json().id}/approve`, {
        accountNumber: `${ACCOUNT}9`,
        holderName: 'x',
      });
      expect(wrong.statusCode).toBe(400);
      await post(`/v1/withdrawals/${large.json().id}/approve`, {});
      // A refused request whose body carries personal data in an unknown field.
      const refused = await post('/v1/transfers', {
        fromWalletId: walletId,
        idNumber: ID_NUMBER,
        accountNumber: ACCOUNT,
      });
      expect(refused.statusCode).toBe(400);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await bw.drop();
    }
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('/v1/withdrawals');
    expect(log).not.toContain(ACCOUNT);
    expect(log).not.toContain(ID_NUMBER);
  });
});
