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

/** The entity key for an id, or undefined when the id cannot be a key (it is then not counted, never thrown on). */
export function entityKey(type: EntityType, id: string | undefined): EntityKey | undefined {
  if (id === undefined) return undefined;
  const key: EntityKey = `${type}:${id}`;
  return ID_RE.test(key.slice(type.length + 1)) ? key : undefined;
}

/** The counterparty of a velocity event, or absent when it is too long to count. */
function cp(id: string | undefined): { counterparty?: string } {
  return id !== undefined && id.length > 0 && id.length <= 200 ? { counterparty: id } : {};
}

/** Merchant sub-series: one per exact amount, one per payer device and per payer address. */
export function merchantAmountKey(merchant: string, amount: bigint): EntityKey | undefined {
  return entityKey('merchant', `${merchant}@${amount}`);
}
export function merchantDeviceKey(merchant: string, device: string | undefined): EntityKey | undefined {
  return device === undefined ? undefined : entityKey('merchant', `${merchant}/d:${device}`);
}
export function merchantIpKey(merchant: string, ip: string | undefined): EntityKey | undefined {
  return ip === undefined ? undefined : entityKey('merchant', `${merchant}/i:${ip}`);
}

/**
 * What the event itself adds to the counters, recorded right after the features of the
 * event are read (so it never counts itself). `at` is the event time in ms.
 */
export function velocityEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const out: VelocityEvent[] = [];
  const add = (entity: EntityKey | undefined, metric: string, extra: Partial<VelocityEvent> = {}) => {
    if (entity) out.push({ entity, metric, at, ...extra });
  };
  const customer = entityKey('customer', event.customerId);
  const device = entityKey('device', event.deviceId);
  const ip = entityKey('ip', event.ip);
  const amount = event.amountMinor !== undefined && event.amountMinor > 0n ? event.amountMinor : 0n;

  if (event.failed) {
    // A failed attempt proves nothing about who uses the device or address, so only the failure counts.
    if (event.type === 'login') {
      add(customer, 'login_fail', cp(event.ip));
      add(ip, 'login_fail', cp(event.customerId));
      add(device, 'login_fail', cp(event.customerId));
    } else if (event.type === 'card_binding' || event.type === 'bank_account_binding') {
      add(customer, 'binding_fail', cp(event.counterpartyId));
    }
    return out;
  }

  add(device, 'customers', cp(event.customerId));
  add(customer, 'devices', cp(event.deviceId));
  add(ip, 'customers', cp(event.customerId));

  const other = event.counterpartyId;
  switch (event.type) {
    case 'topup':
      add(customer, 'topup', { amount });
      if (amount < SMALL_TOPUP_MINOR) add(customer, 'topup_small', { amount });
      break;
    case 'transfer':
      add(customer, 'out', { amount, ...cp(other) });
      add(entityKey('payee', other), 'received', { amount, ...cp(event.customerId) });
      add(entityKey('customer', other), 'received', { amount, ...cp(event.customerId) });
      break;
    case 'payment':
      add(customer, 'out', { amount, ...cp(other) });
      if (other !== undefined) {
        add(entityKey('merchant', other), 'payment', { amount, ...cp(event.customerId) });
        add(merchantAmountKey(other, amount), 'payment', cp(event.customerId));
        add(merchantDeviceKey(other, event.deviceId), 'payers', cp(event.customerId));
        add(merchantIpKey(other, event.ip), 'payers', cp(event.customerId));
      }
      break;
    case 'withdrawal':
      add(customer, 'out', { amount, ...cp(other) });
      break;
    case 'refund':
      add(entityKey('merchant', other), 'refund', { amount, ...cp(event.customerId) });
      break;
    default:
      break;
  }
  return out;
}

/** Counters for a transfer to a payee the customer never paid before (known only from the profile). */
export function newPayeeEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const customer = entityKey('customer', event.customerId);
  return customer ? [{ entity: customer, metric: 'new_payee', at, ...cp(event.counterpartyId) }] : [];
}

/** Counters for an event the engine declined, recorded once the decision is made. */
export function declineEventsOf(event: FeatureEvent, at: number): VelocityEvent[] {
  const out: VelocityEvent[] = [];
  for (const entity of [
    entityKey('customer', event.customerId),
    entityKey('device', event.deviceId),
    entityKey('ip', event.ip),
  ]) {
    if (entity) out.push({ entity, metric: 'decline', at, ...cp(event.type) });
  }
  return out;
}
