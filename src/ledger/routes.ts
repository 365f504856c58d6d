import { Type } from 'typebox';
import { AppError } from '../platform/errors.ts';
import type { App } from '../platform/http.ts';
import { entryView } from '../wallet/views.ts';
import type { LedgerService } from './service.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Read access to the journal, the chain head, custody and stored decisions. */
export function registerLedgerRoutes(app: App, ledger: LedgerService): void {
  app.get(
    '/v1/entries/:id',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: ['ledger'],
        summary: 'A journal entry with its postings and chain hashes',
        params: IdParams,
      },
    },
    async (req) => entryView(await ledger.getEntry(req.params.id)),
  );

  app.get(
    '/v1/ledger/custody',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: ['ledger'],
        summary: 'Custody check (备付金): custody equals the sum of customer wallets, per currency',
      },
    },
    async () => {
      const r = await ledger.custodyCheck();
      return {
        ok: r.ok,
        checkedAt: r.checkedAt.toISOString(),
        currencies: r.currencies.map((c) => ({
          currency: c.currency,
          custodyMinor: c.custodyMinor.toString(),
          walletsMinor: c.walletsMinor.toString(),
          differenceMinor: c.differenceMinor.toString(),
          wallets: c.wallets,
        })),
      };
    },
  );

  app.get(
    '/v1/ledger/chain',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: { tags: ['ledger'], summary: 'The head of the journal hash chain (sequence and hash)' },
    },
    async () => {
      const head = await ledger.chainHead();
      return { seq: head.seq.toString(), hash: head.hash };
    },
  );

  app.get(
    '/v1/decisions/:id',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: ['risk'],
        summary: 'A stored risk decision with its inputs and reasons',
        params: IdParams,
      },
    },
    async (req) => {
      const d = await ledger.decision(req.params.id);
      if (!d) throw new AppError('NOT_FOUND', `Decision ${req.params.id} does not exist.`);
      return d;
    },
  );
}
