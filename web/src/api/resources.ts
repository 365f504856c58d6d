import {
  array,
  bool,
  count,
  type Decoder,
  firstOf,
  minor,
  nullable,
  num,
  object,
  page,
  str,
  stringRecord,
  withDefault,
} from './decode.ts';

/**
 * The API's answers as the console reads them. Members a module may leave out are
 * nullable; the console-api read endpoints are read tolerantly (a renamed member under
 * its other name), and what the console does not know is never shown raw.
 */

export const account = object({
  id: str,
  kind: withDefault(str, ''),
  ownerId: withDefault(str, ''),
  currency: str,
  status: withDefault(str, ''),
  postedMinor: minor,
  heldMinor: minor,
  availableMinor: minor,
});
export type Account = ReturnType<typeof account>;

export const decision = object({
  id: withDefault(str, ''),
  outcome: str,
  reasonCodes: withDefault(array(str), []),
  customerMessage: nullable(str),
  'createdAt|decidedAt|at': nullable(str),
  amountMinor: nullable(minor),
  currency: nullable(str),
  'eventType|kind|type': nullable(str),
  'customerId|subjectId|ownerId': nullable(str),
  entryId: nullable(str),
  holdId: nullable(str),
});
export type DecisionView = ReturnType<typeof decision>;
export const decisionsPage = page('items|decisions', decision);

/** The members a customer has both in the search list and on its own. */
const customerFields = {
  id: str,
  displayName: withDefault(str, ''),
  status: withDefault(str, ''),
  kycTier: nullable(count),
  phone: nullable(str),
  email: nullable(str),
  createdAt: nullable(str),
};

export const customerItem = object(customerFields);
export type CustomerItem = ReturnType<typeof customerItem>;
export const customersPage = page('items|customers', customerItem);

export const customer = object({ ...customerFields, wallets: withDefault(array(account), []) });
export type Customer = ReturnType<typeof customer>;

export const hold = object({
  id: str,
  accountId: str,
  ownerId: nullable(str),
  kind: withDefault(str, ''),
  status: withDefault(str, 'pending'),
  amountMinor: minor,
  postedMinor: nullable(minor),
  currency: str,
  decisionId: nullable(str),
  entryId: nullable(str),
  metadata: withDefault(stringRecord, {}),
  expiresAt: nullable(str),
  createdAt: nullable(str),
  ownerName: nullable(str),
  events: withDefault(
    array(
      object({
        fromStatus: nullable(str),
        toStatus: str,
        amountMinor: nullable(minor),
        at: nullable(str),
        reason: nullable(str),
      }),
    ),
    [],
  ),
  decision: nullable(
    object({
      outcome: str,
      reasonCodes: withDefault(array(str), []),
      customerMessage: nullable(str),
    }),
  ),
});
export type Hold = ReturnType<typeof hold>;
export const holdsPage = page('items|holds', hold);
export const holdResult = object({ hold: object({ id: str, status: str }) });

const session = object({
  'id|deviceId': withDefault(str, ''),
  'createdAt|firstSeenAt': nullable(str),
  lastSeenAt: nullable(str),
  'ip|lastIp': nullable(str),
  userAgent: nullable(str),
  deviceId: nullable(str),
  active: nullable(bool),
});
export type SessionView = ReturnType<typeof session>;

const kyc = object({
  tier: nullable(count),
  status: nullable(str),
  'name|nameMasked': nullable(str),
  documentType: nullable(str),
  'documentNumber|documentMasked|document': nullable(str),
});

/** GET /v1/customers/:id/overview: the 360° view in one answer. */
export const customerOverview = (v: unknown, path: string) => {
  const o = object({
    customer,
    wallets: nullable(array(account)),
    kyc: nullable(kyc),
    sessions: withDefault(array(session), []),
    devices: withDefault(array(session), []),
    'decisions|recentDecisions': withDefault(array(decision), []),
    'holds|pendingHolds': withDefault(array(hold), []),
  })(v, path);
  return { ...o, wallets: o.wallets ?? o.customer.wallets };
};
export type CustomerOverview = ReturnType<typeof customerOverview>;

export const revealResult = object({ customerId: str, field: str, value: str });

export const posting = object({
  accountId: str,
  amountMinor: minor,
  balanceAfterMinor: nullable(minor),
});

export const entry = object({
  id: str,
  seq: withDefault(
    firstOf<string>(str, (v, p) => String(num(v, p))),
    '',
  ),
  kind: withDefault(str, ''),
  'occurredAt|createdAt': nullable(str),
  amountMinor: minor,
  currency: str,
  decisionId: nullable(str),
  reversesId: nullable(str),
  holdId: nullable(str),
  metadata: withDefault(stringRecord, {}),
  postings: withDefault(array(posting), []),
  prevHash: nullable(str),
  hash: nullable(str),
});
export type Entry = ReturnType<typeof entry>;
export const entriesPage = page('items|entries', entry);

const storyEvent = object({
  id: withDefault(str, ''),
  'at|occurredAt|createdAt': nullable(str),
  'kind|topic|type|action|event': withDefault(str, ''),
  'description|summary|detail|reason': nullable(str),
  amountMinor: nullable(minor),
  currency: nullable(str),
});
export type StoryEvent = ReturnType<typeof storyEvent>;

/** GET /v1/entries/:id/story: the entry with what led to it and what followed. */
export const story = object({
  entry,
  decision: nullable(decision),
  hold: nullable(hold),
  'events|timeline|steps': withDefault(array(storyEvent), []),
  'reversals|related': withDefault(array(entry), []),
  reverses: nullable(entry),
  funding: nullable(
    object({
      type: str,
      id: str,
      status: str,
      amountMinor: minor,
      currency: str,
      channel: nullable(str),
      bankAccount: nullable(str),
      failureCode: nullable(str),
      createdAt: nullable(str),
    }),
  ),
});
export type Story = ReturnType<typeof story>;

export const approval = object({
  id: str,
  action: str,
  summary: withDefault(str, ''),
  reason: withDefault(str, ''),
  status: str,
  maker: object({ id: str, role: str }),
  checker: nullable(object({ id: str, role: str })),
  decisionReason: nullable(str),
  error: nullable(str),
  createdAt: nullable(str),
  expiresAt: nullable(str),
  decidedAt: nullable(str),
});
export type Approval = ReturnType<typeof approval>;
export const approvalsPage = page('approvals|items', approval);

export const auditRecord = object({
  seq: str,
  id: str,
  at: str,
  actorType: str,
  actorId: str,
  actorRole: nullable(str),
  action: str,
  targetType: nullable(str),
  targetId: nullable(str),
  reason: nullable(str),
  ip: nullable(str),
});
export type AuditRecord = ReturnType<typeof auditRecord>;
export const auditPage = page('records|items', auditRecord);

export const auditVerify = object({
  ok: bool,
  records: count,
  problems: withDefault(array(object({ seq: str, id: str, message: str })), []),
});

export const custody = object({
  ok: bool,
  checkedAt: nullable(str),
  currencies: withDefault(
    array(object({ currency: str, custodyMinor: minor, walletsMinor: minor, differenceMinor: minor })),
    [],
  ),
});
export type Custody = ReturnType<typeof custody>;

export const chainHead = object({ seq: firstOf<string>(str, (v, p) => String(num(v, p))), hash: str });
export type ChainHead = ReturnType<typeof chainHead>;

export type Decoded<D> = D extends Decoder<infer T> ? T : never;

/** Approving answers {approval, secret?}; rejecting and withdrawing answer the request itself. */
export const approvalAnswer = firstOf<Approval>((v, p) => object({ approval })(v, p).approval, approval);
