import { Type } from 'typebox';
import { CURRENCY_CODES } from '../platform/money.ts';

/** Request and response schemas of the wallet API; they also generate the OpenAPI document. */

export const AmountMinor = Type.String({
  pattern: '^[1-9][0-9]{0,17}$',
  description: 'Positive integer number of minor units (fen, cents), as a string.',
  examples: ['12550'],
});

export const CurrencyCode = Type.String({
  pattern: '^[A-Z]{3}$',
  description: `ISO 4217 code; supported: ${CURRENCY_CODES.join(', ')}.`,
  examples: ['CNY'],
});

export const Id = (prefix: string, description: string) =>
  Type.String({
    pattern: `^${prefix}_[0-9a-z]{26}$`,
    description,
    examples: [`${prefix}_01jd8k2m3n4p5q6r7s8t9v0w1x`],
  });

export const Metadata = Type.Record(Type.String(), Type.String());

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Required. 8–128 characters; a retry with the same key and body replays the original response.',
      examples: ['3f0c2b9e-7a51-4d7e-9c0a-6f3f8f1d2e44'],
    }),
  ),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({
      description: 'Stable error code from the catalogue, e.g. LEDGER_INSUFFICIENT_FUNDS.',
    }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details.' },
);

export const Account = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  ownerId: Type.String(),
  currency: Type.String(),
  status: Type.String(),
  postedMinor: Type.String(),
  heldMinor: Type.String(),
  availableMinor: Type.String(),
});

export const Decision = Type.Object({
  id: Type.String(),
  outcome: Type.String({ examples: ['ALLOW'] }),
  reasonCodes: Type.Array(Type.String()),
  customerMessage: Type.Union([Type.String(), Type.Null()]),
  tips: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        title: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
      }),
      { description: 'Security tips for the reasons of a held, challenged or refused movement.' },
    ),
  ),
});

/** What the client knows about the end user's action; the risk engine decides with it. */
export const EventContext = Type.Object(
  {
    deviceId: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._:-]{1,128}$',
        description: 'A stable id of the end user’s device.',
      }),
    ),
    ip: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 45,
        pattern: '^[0-9A-Fa-f.:]+$',
        description: 'The end user’s IP address (integrators pass their user’s, not their server’s).',
      }),
    ),
    geo: Type.Optional(
      Type.Object(
        {
          country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2.' })),
          region: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
          lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
        },
        { additionalProperties: false },
      ),
    ),
    channel: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', examples: ['app'] })),
    occurredAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the end user acted: at most 5 minutes ahead of and 35 days behind the server’s time. Default: now.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The end user’s device, address, region and time.' },
);

export const OpenedAt = Type.String({
  format: 'date-time',
  description:
    'When the account was opened in the integrator’s own system (migrated customers): not in the future, at most 10 years back. Default: now.',
});

export const CreateCustomer = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 100, examples: ['Li Wei'] }),
    currencies: Type.Array(CurrencyCode, { minItems: 1, maxItems: 7, default: ['CNY'] }),
    openedAt: Type.Optional(OpenedAt),
  },
  { additionalProperties: false },
);

export const Customer = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
  wallets: Type.Array(Account),
});

export const OpenWallet = Type.Object({ currency: CurrencyCode }, { additionalProperties: false });

export const CreateMerchant = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Green Tea House'] }),
    feeBps: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      description: 'Fee in basis points (60 = 0.60 %).',
      examples: [60],
    }),
    currencies: Type.Array(CurrencyCode, { minItems: 1, maxItems: 7, default: ['CNY'] }),
    openedAt: Type.Optional(OpenedAt),
  },
  { additionalProperties: false },
);

export const Merchant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  feeBps: Type.Integer(),
  status: Type.String(),
  createdAt: Type.String(),
  accounts: Type.Array(Account),
});

export const Transfer = Type.Object(
  {
    fromWalletId: Type.String({ minLength: 1, maxLength: 64 }),
    toWalletId: Type.String({ minLength: 1, maxLength: 64 }),
    amountMinor: AmountMinor,
    currency: CurrencyCode,
    memo: Type.Optional(Type.String({ maxLength: 140 })),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export const Payment = Type.Object(
  {
    walletId: Type.String({ minLength: 1, maxLength: 64 }),
    merchantId: Type.String({ minLength: 1, maxLength: 64 }),
    amountMinor: AmountMinor,
    currency: CurrencyCode,
    orderRef: Type.Optional(Type.String({ maxLength: 64 })),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export const Refund = Type.Object(
  {
    amountMinor: Type.Optional(AmountMinor),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export const Movement = Type.Object(
  {
    id: Type.String({ description: 'The journal entry id when completed, the hold id when held.' }),
    kind: Type.String(),
    status: Type.Union([Type.Literal('completed'), Type.Literal('held')]),
    amountMinor: Type.String(),
    currency: Type.String(),
    entryId: Type.Union([Type.String(), Type.Null()]),
    holdId: Type.Union([Type.String(), Type.Null()]),
    feeMinor: Type.Union([Type.String(), Type.Null()]),
    decision: Decision,
    createdAt: Type.String(),
  },
  {
    additionalProperties: true,
    description:
      'A money movement: 201 completed (posted), 202 held for review with the reason the customer sees.',
    examples: [
      {
        id: 'txn_01kq3v8a0m1n2p3q4r5s6t7v8w',
        kind: 'transfer',
        status: 'completed',
        amountMinor: '2500',
        currency: 'CNY',
        entryId: 'txn_01kq3v8a0m1n2p3q4r5s6t7v8w',
        holdId: null,
        feeMinor: null,
        decision: {
          id: 'dec_01kq3v8a0k1n2p3q4r5s6t7v8w',
          outcome: 'ALLOW',
          reasonCodes: [],
          customerMessage: null,
        },
        createdAt: '2026-11-21T08:15:30.123Z',
      },
    ],
  },
);

export const Funding = Type.Object(
  {
    id: Type.String(),
    status: Type.String({
      description:
        'Top-up: pending, succeeded, failed. Withdrawal: in_review, processing, succeeded, failed, rejected.',
    }),
    walletId: Type.String(),
    amountMinor: Type.String(),
    currency: Type.String(),
    channel: Type.String(),
    entryId: Type.Union([Type.String(), Type.Null()]),
    failureCode: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  },
  { additionalProperties: true, description: 'A top-up or withdrawal and its state.' },
);

export const HoldResult = Type.Object(
  { hold: Type.Object({ id: Type.String(), status: Type.String() }, { additionalProperties: true }) },
  { additionalProperties: true },
);

export const Topup = Type.Object(
  {
    walletId: Type.String({ minLength: 1, maxLength: 64 }),
    amountMinor: AmountMinor,
    currency: CurrencyCode,
    channel: Type.String({ default: 'simbank', maxLength: 32 }),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export const Withdrawal = Type.Object(
  {
    walletId: Type.String({ minLength: 1, maxLength: 64 }),
    amountMinor: AmountMinor,
    currency: CurrencyCode,
    channel: Type.String({ default: 'simbank', maxLength: 32 }),
    bankAccount: Type.Object(
      {
        accountNumber: Type.String({ minLength: 8, maxLength: 40, examples: ['6222020200112233445'] }),
        holderName: Type.String({ minLength: 1, maxLength: 100 }),
      },
      { additionalProperties: false },
    ),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export const ApproveWithdrawal = Type.Object(
  {
    accountNumber: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 40,
        description: 'Optional: when given, it must match the withdrawal (checked against its fingerprint).',
      }),
    ),
    holderName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const Reason = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const PostHold = Type.Object(
  { amountMinor: Type.Optional(AmountMinor), reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const StatementQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive start (ISO 8601).' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive end (ISO 8601).' })),
    kind: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 8 })),
    cursor: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
  },
  { additionalProperties: false },
);
