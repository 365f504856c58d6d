import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { actorOf, assertActsFor, principalOf } from '../access/principal.ts';
import type { LedgerService } from '../ledger/service.ts';
import { ENTRY_KINDS, type EntryKind } from '../ledger/types.ts';
import { AppError } from '../platform/errors.ts';
import { type App, idempotencyOf, sendStored } from '../platform/http.ts';
import { runIdempotent } from '../platform/idempotency.ts';
import { formatMinor } from '../platform/money.ts';
import { SIGNATURE_HEADER } from './channels.ts';
import type { FundingService } from './funding.ts';
import { parseInstant, stepUpPassed, stepUpProofOf } from './risk-step.ts';
import * as S from './schemas.ts';
import type { RequestContext, WalletService } from './service.ts';
import { accountView, holdView, statementLineView } from './views.ts';

export interface WalletRouteDeps {
  wallet: WalletService;
  funding: FundingService;
  ledger: LedgerService;
}

const problems = { '4xx': S.Problem, '5xx': S.Problem };
const CSV_LINES_MAX = 100_000;

/** The public wallet API: customers, merchants, wallets, money movements, holds and statements. */
export function registerWalletRoutes(app: App, deps: WalletRouteDeps): void {
  const { wallet, funding, ledger } = deps;
  const ctx = (req: Parameters<typeof idempotencyOf>[0]): RequestContext => ({
    idem: idempotencyOf(req),
    ip: req.ip,
    actor: actorOf(req),
    requestId: req.id,
  });
  /** A money movement's context: the end user's device, address and time, and the step-up state. */
  const movementCtx = (req: FastifyRequest): RequestContext => {
    const body = (req.body ?? {}) as { context?: Static<typeof S.EventContext> };
    const c = body.context;
    const p = principalOf(req);
    return {
      ...ctx(req),
      event: {
        deviceId: c?.deviceId,
        // A signed-in customer's address is the request's; an integrator reports its user's.
        ip: p.type === 'customer' ? req.ip : (c?.ip ?? req.ip),
        geo: c?.geo,
        channel: c?.channel,
        occurredAt:
          c?.occurredAt === undefined ? undefined : parseInstant(c.occurredAt, 'context.occurredAt'),
      },
      stepUp: {
        operation: `${req.method} ${req.routeOptions.url ?? ''}`,
        request: req.body ?? null,
        proof: stepUpProofOf(req),
        passed: stepUpPassed.has(req),
        answeredBy: p.type === 'customer' ? 'customer' : 'integrator',
      },
    };
  };
  /** A customer may touch only their own wallets; staff and API clients hold the route's permission. */
  const ownsAccount = async (req: FastifyRequest, accountId: string) => {
    if (principalOf(req).type !== 'customer') return;
    const owner = await ledger.ownerOf(accountId);
    assertActsFor(req, owner ?? '');
  };

  app.post(
    '/v1/customers',
    {
      config: { auth: { permission: 'customer.create' } },
      schema: {
        tags: ['customers'],
        summary: 'Register a customer with wallets in the given currencies',
        headers: S.IdempotencyHeaders,
        body: S.CreateCustomer,
        response: { 201: S.Customer, ...problems },
      },
    },
    async (req, reply) => {
      const r = await wallet.createCustomer(req.body, ctx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      config: { auth: { permission: 'customer.read' } },
      schema: {
        tags: ['customers'],
        summary: 'A customer with their wallets and balances',
        params: S.IdParams,
        response: { 200: S.Customer, ...problems },
      },
    },
    async (req) => {
      assertActsFor(req, req.params.id);
      return wallet.customerView(req.params.id);
    },
  );

  app.post(
    '/v1/customers/:id/wallets',
    {
      config: { auth: { permission: 'wallet.open' } },
      schema: {
        tags: ['customers'],
        summary: 'Open a wallet in another currency (idempotent per currency)',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.OpenWallet,
        response: { 200: S.Account, 201: S.Account, ...problems },
      },
    },
    async (req, reply) => {
      assertActsFor(req, req.params.id);
      const r = await runIdempotent(wallet.db, idempotencyOf(req), () =>
        wallet.openWallet(req.params.id, req.body.currency),
      );
      return sendStored(reply, r.response, r.replayed);
    },
  );

  // Unfreezing is maker-checker: `/v1/owners/:id/unfreeze` files an approval request (access/routes.ts).
  app.post(
    '/v1/owners/:id/freeze',
    {
      config: { auth: { permission: 'owner.freeze' } },
      schema: {
        tags: ['customers'],
        summary: 'Freeze a customer or merchant and all of their accounts',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.Reason,
        response: {
          200: Type.Object({
            ownerId: Type.String(),
            status: Type.String(),
            accounts: Type.Array(S.Account),
          }),
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const r = await wallet.setOwnerStatus(req.params.id, 'frozen', req.body.reason, ctx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/merchants',
    {
      config: { auth: { permission: 'merchant.create' } },
      schema: {
        tags: ['merchants'],
        summary: 'Register a merchant with its fee and settlement accounts',
        headers: S.IdempotencyHeaders,
        body: S.CreateMerchant,
        response: { 201: S.Merchant, ...problems },
      },
    },
    async (req, reply) => {
      const r = await wallet.createMerchant(req.body, ctx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.get(
    '/v1/merchants/:id',
    {
      config: { auth: { permission: 'merchant.read' } },
      schema: {
        tags: ['merchants'],
        summary: 'A merchant with its accounts',
        params: S.IdParams,
        response: { 200: S.Merchant, ...problems },
      },
    },
    async (req) => wallet.merchantView(req.params.id),
  );

  app.get(
    '/v1/accounts/:id',
    {
      config: { auth: { permission: 'account.read' } },
      schema: {
        tags: ['ledger'],
        summary: 'Balance of an account: posted, held and available',
        params: S.IdParams,
        response: { 200: S.Account, ...problems },
      },
    },
    async (req) => {
      await ownsAccount(req, req.params.id);
      return accountView(await ledger.getAccount(req.params.id));
    },
  );

  app.get(
    '/v1/accounts/:id/statement',
    {
      config: { auth: { permission: 'account.read' } },
      schema: {
        tags: ['ledger'],
        summary: 'Itemised statement (明细账单), newest first, with running balance; format=csv exports it',
        params: S.IdParams,
        querystring: S.StatementQuery,
      },
    },
    async (req, reply) => {
      await ownsAccount(req, req.params.id);
      const q = req.query;
      const kinds = (q.kind ?? []).map((k) => {
        if (!(ENTRY_KINDS as readonly string[]).includes(k))
          throw new AppError('VALIDATION_FAILED', `Unknown kind "${k}".`);
        return k as EntryKind;
      });
      const base = {
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        kinds,
      };
      if (q.format === 'csv') {
        const rows = [
          'entry_id,occurred_at,kind,amount,amount_minor,fee_minor,balance_after,currency,description',
        ];
        let cursor = q.cursor;
        while (rows.length <= CSV_LINES_MAX) {
          const page = await ledger.statement(req.params.id, {
            ...base,
            limit: 500,
            ...(cursor ? { cursor } : {}),
          });
          const { currency } = page.account;
          for (const l of page.lines) {
            const v = statementLineView(l);
            rows.push(
              [
                v.entryId,
                v.occurredAt,
                v.kind,
                formatMinor(l.amountMinor, currency),
                v.amountMinor,
                v.feeMinor ?? '',
                formatMinor(l.balanceAfterMinor, currency),
                v.currency,
                csvCell(v.description ?? ''),
              ].join(','),
            );
          }
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="statement-${req.params.id}.csv"`)
          .send(`${rows.join('\n')}\n`);
      }
      const page = await ledger.statement(req.params.id, {
        ...base,
        limit: q.limit,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return {
        account: accountView(page.account),
        lines: page.lines.map(statementLineView),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.post(
    '/v1/transfers',
    {
      config: { auth: { permission: 'movement.create' } },
      schema: {
        tags: ['movements'],
        summary: 'P2P transfer between two wallets (转账)',
        description:
          '201 when posted, 202 when held for review, 422 RISK_BLOCKED or a ledger error otherwise.',
        headers: S.IdempotencyHeaders,
        body: S.Transfer,
        response: { 201: S.Movement, 202: S.Movement, ...problems },
      },
    },
    async (req, reply) => {
      await ownsAccount(req, req.body.fromWalletId);
      const r = await wallet.transfer(req.body, movementCtx(req));
      return sendResult(reply, r);
    },
  );

  app.post(
    '/v1/payments',
    {
      config: { auth: { permission: 'movement.create' } },
      schema: {
        tags: ['movements'],
        summary: 'Pay a merchant from a wallet (支付); the merchant fee is shown in feeMinor',
        headers: S.IdempotencyHeaders,
        body: S.Payment,
        response: { 201: S.Movement, 202: S.Movement, ...problems },
      },
    },
    async (req, reply) => {
      await ownsAccount(req, req.body.walletId);
      return sendResult(reply, await wallet.pay(req.body, movementCtx(req)));
    },
  );

  app.post(
    '/v1/payments/:id/refunds',
    {
      config: { auth: { permission: 'refund.create' } },
      schema: {
        tags: ['movements'],
        summary: 'Refund all or part of a payment; refunds never exceed what was paid',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.Refund,
        response: { 201: S.Movement, 202: S.Problem, ...problems },
      },
    },
    async (req, reply) => sendResult(reply, await wallet.refund(req.params.id, req.body, movementCtx(req))),
  );

  app.post(
    '/v1/topups',
    {
      config: { auth: { permission: 'movement.create' } },
      schema: {
        tags: ['funding'],
        summary: 'Top up a wallet through a channel (充值); credited when the channel confirms',
        headers: S.IdempotencyHeaders,
        body: S.Topup,
        response: { 200: S.Funding, 202: S.Funding, ...problems },
      },
    },
    async (req, reply) => {
      await ownsAccount(req, req.body.walletId);
      const r = await funding.topup(req.body, movementCtx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.get(
    '/v1/topups/:id',
    {
      config: { auth: { permission: 'account.read' } },
      schema: { tags: ['funding'], summary: 'A top-up and its state', params: S.IdParams },
    },
    async (req) => {
      const topup = await funding.getTopup(req.params.id);
      await ownsAccount(req, topup.walletId);
      return topup;
    },
  );

  app.post(
    '/v1/withdrawals',
    {
      config: { auth: { permission: 'movement.create' } },
      schema: {
        tags: ['funding'],
        summary: 'Withdraw to a bank account (提现): held, paid out, then posted or released',
        headers: S.IdempotencyHeaders,
        body: S.Withdrawal,
        response: { 200: S.Funding, 202: S.Funding, ...problems },
      },
    },
    async (req, reply) => {
      await ownsAccount(req, req.body.walletId);
      return sendResult(reply, await funding.withdraw(req.body, movementCtx(req)));
    },
  );

  app.get(
    '/v1/withdrawals/:id',
    {
      config: { auth: { permission: 'account.read' } },
      schema: { tags: ['funding'], summary: 'A withdrawal and its state', params: S.IdParams },
    },
    async (req) => {
      const withdrawal = await funding.getWithdrawal(req.params.id);
      await ownsAccount(req, withdrawal.walletId);
      return withdrawal;
    },
  );

  app.post(
    '/v1/withdrawals/:id/approve',
    {
      config: { auth: { permission: 'withdrawal.review' } },
      schema: {
        tags: ['funding'],
        summary: 'Approve a withdrawal held for review; it goes to the channel',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.ApproveWithdrawal,
        response: { 200: S.Funding, 202: S.Funding, ...problems },
      },
    },
    async (req, reply) => {
      const r = await funding.approveWithdrawal(req.params.id, req.body, ctx(req));
      return sendStored(reply, r.response, r.replayed);
    },
  );

  app.post(
    '/v1/withdrawals/:id/reject',
    {
      config: { auth: { permission: 'withdrawal.review' } },
      schema: {
        tags: ['funding'],
        summary: 'Reject a withdrawal held for review; the hold is released',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.Reason,
        response: { 200: S.Funding, 202: S.Funding, ...problems },
      },
    },
    async (req, reply) => {
      return sendResult(reply, await funding.rejectWithdrawal(req.params.id, req.body.reason, ctx(req)));
    },
  );

  app.get(
    '/v1/holds/:id',
    {
      config: { auth: { permission: 'account.read' } },
      schema: {
        tags: ['ledger'],
        summary: 'A hold (two-phase reservation) and its state',
        params: S.IdParams,
      },
    },
    async (req) => {
      const hold = await ledger.getHold(req.params.id);
      await ownsAccount(req, hold.accountId);
      return holdView(hold);
    },
  );

  app.post(
    '/v1/holds/:id/post',
    {
      config: { auth: { permission: 'hold.decide' } },
      schema: {
        tags: ['ledger'],
        summary: 'Post a held transfer or payment, fully or partly (the rest is released)',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.PostHold,
        response: { 200: S.HoldResult, ...problems },
      },
    },
    async (req, reply) => sendResult(reply, await wallet.postHold(req.params.id, req.body, ctx(req))),
  );

  app.post(
    '/v1/holds/:id/void',
    {
      config: { auth: { permission: 'hold.decide' } },
      schema: {
        tags: ['ledger'],
        summary: 'Release a held transfer or payment',
        params: S.IdParams,
        headers: S.IdempotencyHeaders,
        body: S.Reason,
        response: { 200: S.HoldResult, ...problems },
      },
    },
    async (req, reply) => sendResult(reply, await wallet.voidHold(req.params.id, req.body, ctx(req))),
  );

  app.post(
    '/v1/channels/:channel/callbacks',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['funding'],
        summary: 'Signed callback from a payment channel (HMAC-SHA256 in the Bulwark-Signature header)',
        params: Type.Object({ channel: Type.String({ maxLength: 32 }) }),
      },
    },
    async (req, reply) => {
      const header = req.headers[SIGNATURE_HEADER];
      const response = await funding.handleCallback(
        req.params.channel,
        req.rawBody,
        Array.isArray(header) ? header[0] : header,
      );
      return sendStored(reply, response, false);
    },
  );
}

function sendResult(
  reply: Parameters<typeof sendStored>[0],
  r: Awaited<ReturnType<WalletService['transfer']>>,
) {
  if (!r.response) throw new Error('a wallet command always renders a response');
  return sendStored(reply, r.response, r.replayed);
}

function csvCell(value: string): string {
  // Quote, and neutralise spreadsheet formulas in free text.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
