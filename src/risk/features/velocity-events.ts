import type { RuleEvent } from '../rules/schema.ts';
import type { EntityKey, EntityType, VelocityEvent } from '../velocity/store.ts';

/**
 * The one place where events become velocity counters. The live engine and a back-test
 * both go through these functions, so a counter can never mean one thing in production
 * and another in a replay.
 */

/** An event as the feature computer sees it: the rules' event, plus what failed before the decision. */
export interface FeatureEvent extends RuleEvent {
  /** A sign-in whose password was wrong, a binding the bank or card network refused. */
  failed?: boolean | undefined;
}

/** Top-ups below this many minor units count as small (card testing uses tiny amounts). */
export const SMALL_TOPUP_MINOR = 1_000n;

/** Movements that take money out of the customer's wallet. */
export const OUTGOING_TYPES: ReadonlySet<string> = new Set(['transfer', 'payment', 'withdrawal']);

const ID_RE = /^[^\s{}|]{1,200}$/;

/**
 * The last key made per entity type. A decision asks for the same few keys several times
 * (its reads, then its counters); handing back the same string lets the velocity store's
 * lookups reuse the string's hash instead of hashing a fresh copy each time.
 */
const lastIds: Partial<Record<EntityType, string>> = {};
const lastKeys: Partial<Record<EntityType, EntityKey>> = {};

/** The entity key for an id, or undefined when the id cannot be a key (it is then not counted, never thrown on). */
export function entityKey(type: EntityType, id: string | undefined): EntityKey | undefined {
  if (id === undefined) return undefined;
  const last = lastKeys[type];
  if (last !== undefined && lastIds[type] === id) return last;
  if (!ID_RE.test(id)) return undefined;
  const key: EntityKey = `${type}:${id}`;
  lastIds[type] = id;
  lastKeys[type] = key;
  return key;
}

/** A counterparty a velocity event can carry: absent when empty or too long to count. */
function cpOf(id: string | undefined): string | undefined {
  return id !== undefined && id.length > 0 && id.length <= 200 ? id : undefined;
}

/** The last merchant sub-series key of one kind, for the read and the record of the same event. */
class SubKeyMemo {
  private merchant: string | undefined;
  private part: string | bigint = '';
  key: EntityKey | undefined;

  has(merchant: string, part: string | bigint): boolean {
    return merchant === this.merchant && part === this.part;
  }

  set(merchant: string, part: string | bigint, key: EntityKey | undefined): EntityKey | undefined {
    this.merchant = merchant;
    this.part = part;
    this.key = key;
    return key;
  }
}

const amountKeys = new SubKeyMemo();
const deviceKeys = new SubKeyMemo();
const ipKeys = new SubKeyMemo();

/** Merchant sub-series: one per exact amount, one per payer device and per payer address. */
export function merchantAmountKey(merchant: string, amount: bigint): EntityKey | undefined {
  if (amountKeys.has(merchant, amount)) return amountKeys.key;
  return amountKeys.set(merchant, amount, entityKey('merchant', `${merchant}@${amount}`));
}
export function merchantDeviceKey(merchant: string, device: string | undefined): EntityKey | undefined {
  if (device === undefined) return undefined;
  if (deviceKeys.has(merchant, device)) return deviceKeys.key;
  return deviceKeys.set(merchant, device, entityKey('merchant', `${merchant}/d:${device}`));
}
export function merchantIpKey(merchant: string, ip: string | undefined): EntityKey | undefined {
  if (ip === undefined) return undefined;
  if (ipKeys.has(merchant, ip)) return ipKeys.key;
  return ipKeys.set(merchant, ip, entityKey('merchant', `${merchant}/i:${ip}`));
}

/** A velocity event with only the fields that are present (the shape every caller and test sees). */
function counted(
  entity: EntityKey,
  metric: string,
  at: number,
  amount: bigint | undefined,
  counterparty: string | undefined,
): VelocityEvent {
  if (amount === undefined) {
    return counterparty === undefined ? { entity, metric, at } : { entity, metric, at, counterparty };
  }
  return counterparty === undefined
    ? { entity, metric, at, amount }
    : { entity, metric, at, amount, counterparty };
}

/**
 * What the event itself adds to the counters, recorded right after the features of the
 * event are read (so it never counts itself). `at` is the event time in ms.
 */
export function velocityEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const out: VelocityEvent[] = [];
  const add = (
    entity: EntityKey | undefined,
    metric: string,
    amount: bigint | undefined,
    counterparty: string | undefined,
  ) => {
    if (entity) out.push(counted(entity, metric, at, amount, counterparty));
  };
  const customer = entityKey('customer', event.customerId);
  const device = entityKey('device', event.deviceId);
  const ip = entityKey('ip', event.ip);
  const amount = event.amountMinor !== undefined && event.amountMinor > 0n ? event.amountMinor : 0n;
  const payer = cpOf(event.customerId);

  if (event.failed) {
    // A failed attempt proves nothing about who uses the device or address, so only the failure counts.
    if (event.type === 'login') {
      add(customer, 'login_fail', undefined, cpOf(event.ip));
      add(ip, 'login_fail', undefined, payer);
      add(device, 'login_fail', undefined, payer);
    } else if (event.type === 'card_binding' || event.type === 'bank_account_binding') {
      add(customer, 'binding_fail', undefined, cpOf(event.counterpartyId));
    }
    return out;
  }

  add(device, 'customers', undefined, payer);
  add(customer, 'devices', undefined, cpOf(event.deviceId));
  add(ip, 'customers', undefined, payer);

  const other = event.counterpartyId;
  switch (event.type) {
    case 'topup':
      add(customer, 'topup', amount, undefined);
      if (amount < SMALL_TOPUP_MINOR) add(customer, 'topup_small', amount, undefined);
      break;
    case 'transfer':
      add(customer, 'out', amount, cpOf(other));
      add(entityKey('payee', other), 'received', amount, payer);
      add(entityKey('customer', other), 'received', amount, payer);
      break;
    case 'payment':
      add(customer, 'out', amount, cpOf(other));
      if (other !== undefined) {
        add(entityKey('merchant', other), 'payment', amount, payer);
        add(merchantAmountKey(other, amount), 'payment', undefined, payer);
        add(merchantDeviceKey(other, event.deviceId), 'payers', undefined, payer);
        add(merchantIpKey(other, event.ip), 'payers', undefined, payer);
      }
      break;
    case 'withdrawal':
      add(customer, 'out', amount, cpOf(other));
      break;
    case 'refund':
      add(entityKey('merchant', other), 'refund', amount, payer);
      break;
    default:
      break;
  }
  return out;
}

/** Counters for a transfer to a payee the customer never paid before (known only from the profile). */
export function newPayeeEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const customer = entityKey('customer', event.customerId);
  return customer ? [counted(customer, 'new_payee', at, undefined, cpOf(event.counterpartyId))] : [];
}

/** Counters for an event the engine declined, recorded once the decision is made. */
export function declineEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const out: VelocityEvent[] = [];
  for (const entity of [
    entityKey('customer', event.customerId),
    entityKey('device', event.deviceId),
    entityKey('ip', event.ip),
  ]) {
    if (entity) out.push(counted(entity, 'decline', at, undefined, cpOf(event.type)));
  }
  return out;
}

/**
 * Counters for a label that arrived at `at` (ms) for an earlier event: a fraud label
 * counts for the event's customer and, for a payment or refund, its merchant. A legitimate
 * label counts nothing (the movement already counted when it happened).
 */
export function labelEventsOf(event: FeatureEvent, label: 'fraud' | 'legit', at: number): VelocityEvent[] {
  if (label !== 'fraud') return [];
  const out: VelocityEvent[] = [];
  const customer = entityKey('customer', event.customerId);
  if (customer) out.push(counted(customer, 'fraud', at, undefined, cpOf(event.counterpartyId)));
  if (event.type === 'payment' || event.type === 'refund') {
    const merchant = entityKey('merchant', event.counterpartyId);
    if (merchant) out.push(counted(merchant, 'fraud', at, undefined, cpOf(event.customerId)));
  }
  return out;
}
