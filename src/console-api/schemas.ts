import { type TSchema, Type } from 'typebox';
import { ENTRY_KINDS } from '../ledger/types.ts';
import { Account } from '../wallet/schemas.ts';

/**
 * Query and response schemas of the console read API. Responses are schemas too, not
 * only documentation: Fastify serialises through them, so a field that is not listed
 * here (a sealed column, a clear value added by mistake) never leaves the server.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableString = Nullable(Type.String());
const Minor = Type.String({ description: 'Integer number of minor units, as a string.' });
const Time = Type.String({ description: 'ISO 8601 timestamp (UTC).' });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z_]+$' });

export const CUSTOMER_STATUSES = ['active', 'frozen', 'closed'] as const;
export const HOLD_STATUSES = ['pending', 'posted', 'voided', 'expired'] as const;
export const OUTCOMES = ['ALLOW', 'CHALLENGE', 'REVIEW', 'BLOCK', 'BLOCK_AND_FREEZE'] as const;

/** Rows per page when the query names none (Ajv fills the default in; the routes fall back to it too). */
export const DEFAULT_LIMIT = 50;
const Limit = Type.Integer({
  minimum: 1,
  maximum: 200,
  default: DEFAULT_LIMIT,
  description: 'Rows per page (1–200).',
});
const Cursor = Type.String({
  minLength: 1,
  maxLength: 160,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Opaque: the nextCursor of the previous page of the same list and filters.',
});
const From = Type.String({ format: 'date-time', description: 'Inclusive start (ISO 8601).' });
const To = Type.String({ format: 'date-time', description: 'Exclusive end (ISO 8601).' });

export const IdParams = Type.Object({ id: Id });

export const CustomerQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'A customer id (exact), a phone number or e-mail address (exact, via blind index), or the start of a display name (case-insensitive).',
      }),
    ),
    status: Type.Optional(Type.Union(CUSTOMER_STATUSES.map((s) => Type.Literal(s)))),
    tier: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: 'KYC tier.' })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const HoldQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(HOLD_STATUSES.map((s) => Type.Literal(s)))),
    accountId: Type.Optional(Id),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const EntryQuery = Type.Object(
  {
    accountId: Type.Optional(Id),
    kind: Type.Optional(Type.Union(ENTRY_KINDS.map((k) => Type.Literal(k)))),
    from: Type.Optional(From),
    to: Type.Optional(To),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const DecisionQuery = Type.Object(
  {
    outcome: Type.Optional(Type.Union(OUTCOMES.map((o) => Type.Literal(o)))),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z_]+$' })),
    customerId: Type.Optional(Id),
    from: Type.Optional(From),
    to: Type.Optional(To),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

const page = <T extends TSchema>(item: T, description: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page.',
      }),
    },
    { description },
  );

export const CustomerSummary = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  status: Type.String(),
  kycTier: Type.Integer(),
  phone: Nullable(Type.String({ description: 'Masked, e.g. 138****5678.' })),
  email: Nullable(Type.String({ description: 'Masked, e.g. l*****@example.com.' })),
  createdAt: Time,
});
export const CustomerPage = page(CustomerSummary, 'Customers, newest first.');

export const DecisionSummary = Type.Object({
  id: Type.String(),
  eventType: Type.String(),
  customerId: NullableString,
  outcome: Type.String(),
  reasonCodes: Type.Array(Type.String()),
  customerMessage: NullableString,
  amountMinor: Nullable(Minor),
  currency: NullableString,
  policy: Type.String(),
  latencyUs: Type.Integer(),
  createdAt: Time,
});
export const DecisionPage = page(DecisionSummary, 'Risk decisions, newest first.');

const DecisionBrief = Type.Object({
  id: Type.String(),
  outcome: Type.String(),
  reasonCodes: Type.Array(Type.String()),
  customerMessage: NullableString,
});

export const HoldItem = Type.Object({
  id: Type.String(),
  status: Type.String(),
  kind: Type.String(),
  amountMinor: Minor,
  postedMinor: Minor,
  currency: Type.String(),
  accountId: Type.String(),
  ownerId: Type.String(),
  ownerName: NullableString,
  counterpartyId: Nullable(Type.String({ description: 'Payee or merchant, when the movement has one.' })),
  decision: DecisionBrief,
  entryId: NullableString,
  expiresAt: Time,
  createdAt: Time,
  updatedAt: Time,
});
export const HoldPage = page(
  HoldItem,
  'Holds: pending ones oldest first (the review queue), others newest first.',
);

export const EntrySummary = Type.Object({
  id: Type.String(),
  seq: Type.String(),
  kind: Type.String(),
  amountMinor: Minor,
  currency: Type.String(),
  occurredAt: Time,
  decisionId: Type.String(),
  holdId: NullableString,
  reversesId: NullableString,
  hash: Type.String(),
});
export const EntryPage = page(
  EntrySummary,
  'Journal entries, newest first (by time; with accountId in journal order, as the statement).',
);

const StringMap = Type.Record(Type.String(), Type.String());

const Posting = Type.Object({
  accountId: Type.String(),
  amountMinor: Type.String({ description: 'Positive: debit; negative: credit.' }),
  balanceAfterMinor: Type.String(),
});

const EntryDetail = Type.Object({
  id: Type.String(),
  seq: Type.String(),
  kind: Type.String(),
  occurredAt: Time,
  amountMinor: Minor,
  currency: Type.String(),
  decisionId: Type.String(),
  reversesId: NullableString,
  holdId: NullableString,
  rule: Type.String(),
  params: StringMap,
  metadata: StringMap,
  postings: Type.Array(Posting),
  prevHash: Type.String(),
  hash: Type.String(),
});

const DecisionDetail = Type.Object({
  id: Type.String(),
  eventType: Type.String(),
  subjectId: NullableString,
  currency: NullableString,
  amountMinor: Nullable(Minor),
  outcome: Type.String(),
  reasonCodes: Type.Array(Type.String()),
  customerMessage: NullableString,
  policy: Type.String(),
  input: Type.Record(Type.String(), Type.Unknown()),
  latencyUs: Type.Integer(),
  createdAt: Time,
  entryIds: Type.Array(Type.String()),
  holdIds: Type.Array(Type.String()),
});

const HoldEvent = Type.Object({
  fromStatus: NullableString,
  toStatus: Type.String(),
  amountMinor: Minor,
  at: Time,
  reason: NullableString,
});

const HoldDetail = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  amountMinor: Minor,
  postedMinor: Minor,
  currency: Type.String(),
  decisionId: Type.String(),
  entryId: NullableString,
  expiresAt: Time,
  createdAt: Time,
  updatedAt: Time,
  events: Type.Array(HoldEvent),
});

const Funding = Type.Object({
  type: Type.Union([Type.Literal('topup'), Type.Literal('withdrawal')]),
  id: Type.String(),
  status: Type.String(),
  walletId: Type.String(),
  customerId: Type.String(),
  amountMinor: Minor,
  currency: Type.String(),
  channel: Type.String(),
  bankAccount: Nullable(Type.String({ description: 'Masked (withdrawals only).' })),
  decisionId: Type.String(),
  holdId: NullableString,
  entryId: NullableString,
  failureCode: NullableString,
  createdAt: Time,
  updatedAt: Time,
});

const OutboxEvent = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  aggregateId: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Time,
  publishedAt: Nullable(Time),
});

export const Story = Type.Object(
  {
    entry: EntryDetail,
    decision: Nullable(DecisionDetail),
    hold: Nullable(HoldDetail),
    funding: Nullable(Funding),
    reverses: Nullable(EntrySummary),
    reversals: Type.Array(EntrySummary),
    events: Type.Array(OutboxEvent, {
      description:
        'Outbox events of the entry, its hold and its top-up or withdrawal (delivered events are kept a day).',
    }),
  },
  { description: "A transaction's full story." },
);

const Kyc = Type.Object({
  tier: Type.Integer(),
  name: Type.String({ description: 'Masked, e.g. 李*.' }),
  documentType: Type.String(),
  document: Type.String({ description: 'Masked, e.g. 1101**********4477.' }),
  basicVerifiedAt: Time,
  fullVerifiedAt: Nullable(Time),
  updatedAt: Time,
});

const Session = Type.Object({
  id: Type.String(),
  deviceId: NullableString,
  userAgent: NullableString,
  ip: Nullable(Type.String({ description: 'Masked: the last part of the address is hidden.' })),
  methods: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Time,
  lastSeenAt: Time,
  expiresAt: Time,
  revokedAt: Nullable(Time),
  revokeReason: NullableString,
});

const Device = Type.Object({
  deviceId: Type.String(),
  userAgent: NullableString,
  firstIp: NullableString,
  lastIp: NullableString,
  firstSeenAt: Time,
  lastSeenAt: Time,
});

const CustomerDecision = Type.Object({
  id: Type.String(),
  eventType: Type.String(),
  outcome: Type.String(),
  reasonCodes: Type.Array(Type.String()),
  customerMessage: NullableString,
  amountMinor: Nullable(Minor),
  currency: NullableString,
  createdAt: Time,
});

export const CustomerOverview = Type.Object({
  customer: CustomerSummary,
  wallets: Type.Array(Account),
  kyc: Nullable(Kyc),
  sessions: Type.Optional(
    Type.Array(Session, { description: 'The 20 latest; only for callers with customer.security.' }),
  ),
  devices: Type.Optional(
    Type.Array(Device, { description: 'The 20 latest seen; only for callers with customer.security.' }),
  ),
  decisions: Type.Array(CustomerDecision, { description: 'The 20 latest risk decisions.' }),
  pendingHolds: Type.Array(HoldItem, { description: 'Pending holds on the wallets, oldest first.' }),
});

const Custody = Type.Object({
  ok: Type.Boolean(),
  checkedAt: Time,
  currencies: Type.Array(
    Type.Object({
      currency: Type.String(),
      custodyMinor: Minor,
      walletsMinor: Minor,
      differenceMinor: Type.String(),
      wallets: Type.Integer(),
    }),
  ),
});

export const Dashboard = Type.Object({
  at: Time,
  movements: Type.Object({
    from: Time,
    to: Time,
    total: Type.Integer(),
    perMinute: Type.Array(Type.Object({ minute: Time, count: Type.Integer() }), {
      description: 'Journal entries per minute over the last 60 minutes, oldest minute first.',
    }),
  }),
  decisions: Type.Object({
    from: Time,
    to: Time,
    total: Type.Integer(),
    outcomes: Type.Array(
      Type.Object({
        outcome: Type.String(),
        count: Type.Integer(),
        rate: Type.Number({ description: 'Share of all decisions in the window (0–1).' }),
      }),
    ),
  }),
  holds: Type.Object({
    pending: Type.Integer(),
    byCurrency: Type.Array(
      Type.Object({ currency: Type.String(), count: Type.Integer(), amountMinor: Minor }),
    ),
    byAge: Type.Object({
      underOneHour: Type.Integer(),
      oneToTwentyFourHours: Type.Integer(),
      overTwentyFourHours: Type.Integer(),
    }),
  }),
  alerts: Type.Object({
    open: Type.Integer(),
    overdue: Type.Integer({ description: 'Open alerts past their service-level deadline.' }),
    bySeverity: Type.Object({
      critical: Type.Integer(),
      high: Type.Integer(),
      medium: Type.Integer(),
      low: Type.Integer(),
    }),
    byAge: Type.Object({
      underOneHour: Type.Integer(),
      oneToTwentyFourHours: Type.Integer(),
      overTwentyFourHours: Type.Integer(),
    }),
  }),
  pendingApprovals: Type.Integer(),
  custody: Custody,
  chain: Type.Object({ seq: Type.String(), hash: Type.String() }),
});
