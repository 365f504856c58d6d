import { Type } from 'typebox';
import { ATTACHMENT_TYPES } from './attachments.ts';
import { TIP_TOPICS } from './education.ts';
import { DISPUTE_REASONS, FEEDBACK_CATEGORIES, LIMITS, REPORT_KINDS } from './model.ts';

/** Request schemas of the support API; they also generate the OpenAPI document. */

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description === undefined ? {} : { description },
  );

const id = (prefix: string) => Type.String({ pattern: `^${prefix}_[0-9a-z]{26}$` });

export const DisputeParams = Type.Object({ id: id('dsp') });
export const AttachmentParams = Type.Object({ id: id('dsp'), attachmentId: id('att') });
export const FeedbackParams = Type.Object({ id: id('fbk') });

const AmountMinor = (description: string) =>
  Type.String({
    pattern: '^[1-9][0-9]{0,17}$',
    description: `Integer minor units, as a string. ${description}`,
  });
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });

export const Page = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax })),
    cursor: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);

export const OpenDispute = Type.Object(
  {
    entryId: Type.String({
      pattern: '^txn_[0-9a-z]{26}$',
      description: 'The journal entry of the transaction.',
    }),
    reason: literals(DISPUTE_REASONS),
    description: Text(4000, 'What happened, in the user’s words.'),
    amountMinor: Type.Optional(
      AmountMinor(
        'The disputed part (e.g. the overcharge of a wrong amount); the whole transaction by default.',
      ),
    ),
    provisionalCredit: Type.Optional(
      Type.Boolean({
        description: `Ask for the amount to be credited while the dispute is decided (up to ${LIMITS.provisionalCreditMaxMinor} minor units, one at a time).`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const AddAttachment = Type.Object(
  {
    filename: Text(200),
    contentType: Type.Optional(literals(ATTACHMENT_TYPES)),
    contentBase64: Type.String({
      minLength: 1,
      description: `The file, base64; at most ${LIMITS.attachmentBytesMax} bytes once decoded.`,
    }),
  },
  { additionalProperties: false },
);

export const Withdraw = Type.Object({ note: Type.Optional(Text(1000)) }, { additionalProperties: false });

const DecisionReason = Type.Object(
  { en: Type.Optional(Text(2000)), 'zh-CN': Type.Optional(Text(2000)) },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The reason the user is shown, in English, Simplified Chinese or both.',
  },
);

export const Decide = Type.Object(
  {
    outcome: literals(['upheld', 'rejected'] as const),
    reason: DecisionReason,
    refundMinor: Type.Optional(
      AmountMinor(
        'Upheld only: how much the user gets back (at most the disputed amount; the disputed amount by default). For a payment it is refunded from the merchant.',
      ),
    ),
  },
  { additionalProperties: false },
);

export const DisputeQueue = Type.Object(
  {
    status: Type.Optional(literals(['open', 'deciding', 'decided', 'withdrawn'] as const)),
    overdue: Type.Optional(Type.Boolean()),
    dueBefore: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax })),
    cursor: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);

export const NewFeedback = Type.Object(
  {
    category: literals(FEEDBACK_CATEGORIES),
    subject: Text(200),
    message: Text(4000),
  },
  { additionalProperties: false },
);

export const Message = Type.Object({ message: Text(4000) }, { additionalProperties: false });
export const Close = Type.Object(
  { message: Type.Optional(Text(4000, 'A last answer to the user (counts as a response).')) },
  { additionalProperties: false },
);

export const Rating = Type.Object(
  {
    score: Type.Integer({ minimum: 1, maximum: 5 }),
    comment: Type.Optional(Text(1000)),
  },
  { additionalProperties: false },
);

export const FeedbackQueue = Type.Object(
  {
    status: Type.Optional(literals(['open', 'answered', 'closed'] as const)),
    category: Type.Optional(literals(FEEDBACK_CATEGORIES)),
    overdue: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax })),
    cursor: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);

export const SummaryQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const NewReport = Type.Object(
  {
    kind: literals(
      REPORT_KINDS,
      'scam: you were tricked into paying; compromised: someone else controls your account.',
    ),
    description: Text(4000),
    entryId: Type.Optional(Type.String({ pattern: '^txn_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);

export const LangQuery = Type.Object(
  {
    lang: Type.Optional(literals(['en', 'zh-CN'] as const)),
    reasonCodes: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'Comma-separated reason codes of a decision, e.g. PHISHING_NEW_PAYEE_NIGHT.',
      }),
    ),
    topic: Type.Optional(literals(TIP_TOPICS)),
  },
  { additionalProperties: false },
);

export const FaqQuery = Type.Object(
  { lang: Type.Optional(literals(['en', 'zh-CN'] as const)) },
  { additionalProperties: false },
);
