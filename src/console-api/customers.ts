import { sql } from 'kysely';
import { normaliseEmail, normalisePhone } from '../identity/contacts.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { Vault } from '../security/vault.ts';
import { accountView } from '../wallet/views.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import { holdRows } from './holds.ts';
import { exactTime, holdItem, iso, isoOrNull, maskIp, minorOrNull } from './views.ts';

export interface CustomerSearch {
  q?: string | undefined;
  status?: string | undefined;
  tier?: number | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What a search term is taken for; see `interpret`. */
type Term =
  | { kind: 'id'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'name'; value: string };

const CURSOR_TAG = 'cus';
const OVERVIEW_ROWS = 20;
const PENDING_HOLDS_MAX = 100;

/**
 * A search term is a customer id, a phone number or an e-mail address when it parses as
 * one, and the start of a display name otherwise. Phones and e-mail addresses are only
 * ever matched through their blind index: the clear values are not stored to compare with.
 */
export function interpret(raw: string): Term {
  const q = raw.trim();
  if (/^cus_[0-9a-z]{26}$/.test(q)) return { kind: 'id', value: q };
  if (q.includes('@')) {
    try {
      return { kind: 'email', value: normaliseEmail(q) };
    } catch {
      return { kind: 'name', value: q };
    }
  }
  if (/^\+?[0-9][0-9\s().-]{6,}$/.test(q)) {
    try {
      return { kind: 'phone', value: normalisePhone(q) };
    } catch {
      return { kind: 'name', value: q };
    }
  }
  return { kind: 'name', value: q };
}

/** A LIKE pattern matching values that start with `prefix` literally. */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Customer search and the 360° view; personal values only ever in their masked form. */
export class CustomerReads {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  private summaries() {
    return this.db
      .selectFrom('customers as c')
      .leftJoin('customer_logins as l', 'l.customer_id', 'c.id')
      .select([
        'c.id',
        'c.display_name',
        'c.status',
        'c.kyc_tier',
        'c.created_at',
        'l.phone_masked',
        'l.email_masked',
        exactTime('c.created_at').as('cursor_at'),
      ]);
  }

  private static summary(r: {
    id: string;
    display_name: string;
    status: string;
    kyc_tier: number;
    created_at: Date;
    phone_masked: string | null;
    email_masked: string | null;
  }) {
    return {
      id: r.id,
      displayName: r.display_name,
      status: r.status,
      kycTier: r.kyc_tier,
      phone: r.phone_masked,
      email: r.email_masked,
      createdAt: iso(r.created_at),
    };
  }

  /** Customers matching the search, newest first, a keyset page at a time. */
  async search(s: CustomerSearch) {
    let query = this.summaries()
      .orderBy('c.created_at', 'desc')
      .orderBy('c.id', 'desc')
      .limit(s.limit + 1);
    if (s.q !== undefined && s.q.trim() !== '') {
      const term = interpret(s.q);
      switch (term.kind) {
        case 'id':
          query = query.where('c.id', '=', term.value);
          break;
        case 'phone':
          query = query.where('l.phone_index', '=', this.vault.blindIndex('phone', term.value));
          break;
        case 'email':
          query = query.where('l.email_index', '=', this.vault.blindIndex('email', term.value));
          break;
        case 'name':
          // The same expression as the customers_name_prefix index, so the prefix is an index range.
          query = query.where(
            sql<string>`lower(c.display_name)`,
            'like',
            prefixPattern(term.value.toLowerCase()),
          );
          break;
      }
    }
    if (s.status !== undefined) query = query.where('c.status', '=', s.status);
    if (s.tier !== undefined) query = query.where('c.kyc_tier', '=', s.tier);
    if (s.cursor !== undefined) {
      const p = decodeCursor(CURSOR_TAG, s.cursor, true);
      query = query.where(sql<boolean>`(c.created_at, c.id) < (${p.at}::timestamptz, ${p.key})`);
    }
    const page = pageOf(await query.execute(), s.limit, CURSOR_TAG, (r) => ({ at: r.cursor_at, key: r.id }));
    return { items: page.rows.map(CustomerReads.summary), nextCursor: page.nextCursor };
  }

  /**
   * Everything support or an analyst needs about one customer in one call. Sessions and
   * devices (where and how they sign in) only when `withSecurity`: the caller also holds
   * customer.security.
   */
  async overview(customerId: string, withSecurity: boolean) {
    const row = await this.summaries().where('c.id', '=', customerId).executeTakeFirst();
    if (!row) throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${customerId} does not exist.`);
    const [wallets, kyc, decisions, holds, security] = await Promise.all([
      this.ledger.accountsOf(customerId),
      this.db
        .selectFrom('customer_kyc')
        .select([
          'name_masked',
          'document_type',
          'document_masked',
          'basic_verified_at',
          'full_verified_at',
          'updated_at',
        ])
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
      this.db
        .selectFrom('risk_decisions')
        .select([
          'id',
          'event_type',
          'outcome',
          'reason_codes',
          'customer_message',
          'amount_minor',
          'currency',
          'created_at',
        ])
        .where('subject_id', '=', customerId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(OVERVIEW_ROWS)
        .execute(),
      holdRows(this.db)
        .where('a.owner_id', '=', customerId)
        .where('h.status', '=', 'pending')
        .orderBy('h.created_at', 'asc')
        .orderBy('h.id', 'asc')
        .limit(PENDING_HOLDS_MAX)
        .execute(),
      withSecurity ? this.security(customerId) : Promise.resolve(undefined),
    ]);
    return {
      customer: CustomerReads.summary(row),
      wallets: wallets.map(accountView),
      kyc: kyc
        ? {
            tier: row.kyc_tier,
            name: kyc.name_masked,
            documentType: kyc.document_type,
            document: kyc.document_masked,
            basicVerifiedAt: iso(kyc.basic_verified_at),
            fullVerifiedAt: isoOrNull(kyc.full_verified_at),
            updatedAt: iso(kyc.updated_at),
          }
        : null,
      ...(security ?? {}),
      decisions: decisions.map((d) => ({
        id: d.id,
        eventType: d.event_type,
        outcome: d.outcome,
        reasonCodes: d.reason_codes,
        customerMessage: d.customer_message,
        amountMinor: minorOrNull(d.amount_minor),
        currency: d.currency,
        createdAt: iso(d.created_at),
      })),
      pendingHolds: holds.map(holdItem),
    };
  }

  /** The latest sessions (ended ones included: they matter in a takeover) and devices, addresses masked. */
  private async security(customerId: string) {
    const now = this.clock.now();
    const [sessions, devices] = await Promise.all([
      this.db
        .selectFrom('auth_sessions')
        .select([
          'id',
          'device_id',
          'user_agent',
          'ip',
          'amr',
          'created_at',
          'last_seen_at',
          'expires_at',
          'revoked_at',
          'revoke_reason',
        ])
        .where('subject_id', '=', customerId)
        .orderBy('created_at', 'desc')
        .limit(OVERVIEW_ROWS)
        .execute(),
      this.db
        .selectFrom('devices')
        .select(['device_id', 'user_agent', 'first_ip', 'last_ip', 'first_seen_at', 'last_seen_at'])
        .where('subject_id', '=', customerId)
        .orderBy('last_seen_at', 'desc')
        .limit(OVERVIEW_ROWS)
        .execute(),
    ]);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        deviceId: s.device_id,
        userAgent: s.user_agent,
        ip: maskIp(s.ip),
        methods: s.amr,
        active: s.revoked_at === null && s.expires_at > now,
        createdAt: iso(s.created_at),
        lastSeenAt: iso(s.last_seen_at),
        expiresAt: iso(s.expires_at),
        revokedAt: isoOrNull(s.revoked_at),
        revokeReason: s.revoke_reason,
      })),
      devices: devices.map((d) => ({
        deviceId: d.device_id,
        userAgent: d.user_agent,
        firstIp: maskIp(d.first_ip),
        lastIp: maskIp(d.last_ip),
        firstSeenAt: iso(d.first_seen_at),
        lastSeenAt: iso(d.last_seen_at),
      })),
    };
  }
}
