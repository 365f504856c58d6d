import type { FastifyRequest } from 'fastify';
import { can } from '../access/permissions.ts';
import { assertActsFor, principalOf } from '../access/principal.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { App } from '../platform/http.ts';
import { appendAudit } from '../security/audit.ts';
import type { Vault } from '../security/vault.ts';
import { Problem } from '../wallet/schemas.ts';
import { CustomerReads } from './customers.ts';
import { Dashboard } from './dashboard.ts';
import { listHolds } from './holds.ts';
import { JournalReads } from './journal.ts';
import * as S from './schemas.ts';

export interface ConsoleRouteDeps {
  db: Db;
  ledger: LedgerService;
  vault: Vault;
  clock: Clock;
}

const problems = { '4xx': Problem, '5xx': Problem };

/** A list query with its page size settled. */
const paged = <Q extends { limit?: number | undefined }>(q: Q): Q & { limit: number } => ({
  ...q,
  limit: q.limit ?? S.DEFAULT_LIMIT,
});
const TAGS = ['console'];

/**
 * The read API of the staff console: customer search and 360° view, the hold review
 * queue, the journal with each transaction's story, the decision stream and the live
 * dashboard. Read-only; lists page by keyset cursors; personal values appear masked only.
 */
export function registerConsoleRoutes(app: App, deps: ConsoleRouteDeps): void {
  const { db, ledger, vault, clock } = deps;
  const customers = new CustomerReads(db, ledger, vault, clock);
  const journal = new JournalReads(db, ledger);
  const dashboard = new Dashboard(db, ledger, clock);

  /**
   * Searching across customers is for staff: customers hold customer.read for their own
   * record and integrators for the customers they look up by id. Refused like the guard
   * refuses, audited, with a detail of its own.
   */
  const staffOnly = async (req: FastifyRequest, what: string) => {
    const p = principalOf(req);
    if (p.type === 'staff') return;
    await db.transaction().execute((tx) =>
      appendAudit(tx, [
        {
          actorType: p.type,
          actorId: p.id,
          actorRole: p.role,
          action: 'auth.permission_denied',
          targetType: 'route',
          targetId: `${req.method} ${req.routeOptions.url ?? req.url}`,
          after: { required: 'staff' },
          requestId: req.id,
          ip: req.ip,
          at: clock.now(),
        },
      ]),
    );
    throw new AppError('AUTH_FORBIDDEN', `${what} is open to staff users only.`);
  };

  app.get(
    '/v1/customers',
    {
      config: { auth: { permission: 'customer.read' } },
      schema: {
        tags: TAGS,
        summary: 'Search customers by id, phone, e-mail or display-name prefix (staff only)',
        description:
          'Newest first. A phone number or e-mail address is matched exactly through its blind index; any other text as the start of the display name, case-insensitively. Contact details are masked.',
        querystring: S.CustomerQuery,
        response: { 200: S.CustomerPage, ...problems },
      },
    },
    async (req) => {
      await staffOnly(req, 'Searching customers');
      return customers.search(paged(req.query));
    },
  );

  app.get(
    '/v1/customers/:id/overview',
    {
      config: { auth: { permission: 'customer.read' } },
      schema: {
        tags: TAGS,
        summary:
          "A customer's 360° view: wallets, KYC, sessions and devices, latest decisions, pending holds",
        description:
          'Sessions and devices are included only for callers who also hold customer.security. Personal values are masked.',
        params: S.IdParams,
        response: { 200: S.CustomerOverview, ...problems },
      },
    },
    async (req) => {
      assertActsFor(req, req.params.id);
      return customers.overview(req.params.id, can(principalOf(req).role, 'customer.security'));
    },
  );

  app.get(
    '/v1/holds',
    {
      config: { auth: { permission: 'account.read' } },
      schema: {
        tags: TAGS,
        summary: 'Held movements with their decision: the review queue with status=pending (oldest first)',
        description:
          'Without status, or with another status, newest first. A customer may list only the holds of a wallet of their own (accountId).',
        querystring: S.HoldQuery,
        response: { 200: S.HoldPage, ...problems },
      },
    },
    async (req) => {
      if (principalOf(req).type === 'customer') {
        const accountId = req.query.accountId;
        if (accountId === undefined) {
          throw new AppError('AUTH_FORBIDDEN', 'A customer can list only the holds of their own wallet.');
        }
        assertActsFor(req, (await ledger.ownerOf(accountId)) ?? '');
      }
      return listHolds(db, paged(req.query));
    },
  );

  app.get(
    '/v1/entries',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: TAGS,
        summary: 'Journal entries, newest first, by account, kind and time window',
        querystring: S.EntryQuery,
        response: { 200: S.EntryPage, ...problems },
      },
    },
    async (req) => journal.entries(paged(req.query)),
  );

  app.get(
    '/v1/entries/:id/story',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: TAGS,
        summary:
          "A transaction's full story: entry and postings, decision, hold and its events, top-up or withdrawal, reversals, events",
        params: S.IdParams,
        response: { 200: S.Story, ...problems },
      },
    },
    async (req) => journal.story(req.params.id),
  );

  app.get(
    '/v1/decisions',
    {
      config: { auth: { permission: 'ledger.read' } },
      schema: {
        tags: TAGS,
        summary: 'The risk decision stream, newest first, by outcome, event type, customer and time window',
        querystring: S.DecisionQuery,
        response: { 200: S.DecisionPage, ...problems },
      },
    },
    async (req) => journal.decisions(paged(req.query)),
  );

  app.get(
    '/v1/overview',
    {
      config: { auth: { permission: 'dashboard.read' } },
      schema: {
        tags: TAGS,
        summary:
          'Live dashboard: movements per minute (60 min), decision outcomes (24 h), pending holds, approvals, custody, chain head',
        response: { 200: S.Dashboard, ...problems },
      },
    },
    async () => dashboard.figures(),
  );
}
