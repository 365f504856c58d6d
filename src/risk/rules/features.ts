/**
 * The feature registry: every feature the risk engine provides to rules, with its CEL
 * type and what it means. Rules see them as `features.<name>` and are type-checked
 * against this list, so a rule naming a feature that does not exist (or comparing it with
 * a value of another type) is refused when it is saved, not when money moves.
 *
 * Names are dotted paths: the part before the last dot is the group a rule reads it
 * from (`features.customer.out.count_1h`). Counts and sums over a window end in the
 * window (`_1h`, `_24h`, `_30d`); amounts are integers of minor units in the event's
 * currency. A feature the engine could not compute for an event is absent: reading it
 * is a run-time error for that rule only, and `has(features.x.y)` tests for it.
 */

export type FeatureType = 'int' | 'double' | 'bool' | 'string';

export interface FeatureDef {
  /** Dotted name without the `features.` prefix, as the engine provides it. */
  name: string;
  type: FeatureType;
  description: string;
  /** The only values a string feature takes; comparing it with anything else is refused. */
  values?: readonly string[];
}

/** Model levels, lowest risk first. */
export const MODEL_LEVELS = ['low', 'medium', 'high'] as const;

export const FEATURES: readonly FeatureDef[] = [
  // The acting customer's profile.
  { name: 'customer.accountAgeDays', type: 'int', description: 'Days since the customer registered.' },
  {
    name: 'customer.kycTier',
    type: 'int',
    description: 'Verification tier: 0 unverified, 1 real name, 2 full identity.',
  },
  {
    name: 'customer.typicalAmount',
    type: 'int',
    description:
      'Median amount of the customer’s outgoing movements over 90 days, minor units of the event currency; 0 without history.',
  },
  {
    name: 'customer.amountPercentile',
    type: 'double',
    description:
      'Where this amount falls among the customer’s outgoing movements of 90 days, 0.0–1.0 (1.0 above all of them).',
  },
  {
    name: 'customer.hoursSincePasswordChange',
    type: 'int',
    description: 'Hours since the password was last changed or reset; 87600 when it never was.',
  },
  {
    name: 'customer.hoursSincePhoneChange',
    type: 'int',
    description: 'Hours since the phone number was last changed; 87600 when it never was.',
  },
  {
    name: 'customer.amountZScore',
    type: 'double',
    description:
      'How many standard deviations this amount lies from the mean of the customer’s outgoing movements of 90 days; 0 with fewer than three.',
  },
  {
    name: 'customer.daysDormant',
    type: 'int',
    description:
      'Days since the customer’s last outgoing movement (since registration when there was none): a long-quiet account suddenly paying out.',
  },
  {
    name: 'customer.distanceFromLastKm',
    type: 'double',
    description:
      'Kilometres from where the customer last acted (client position or IP region) to here; absent when either is unknown.',
  },
  {
    name: 'customer.travelKmh',
    type: 'double',
    description:
      'The speed, in km/h, that travelling from the last position to this one would take (impossible travel above airliner speed); absent when unknown.',
  },
  {
    name: 'customer.distinctDevices_30d',
    type: 'int',
    description: 'Distinct devices the customer signed in from in 30 days.',
  },
  {
    name: 'customer.failedLogins_24h',
    type: 'int',
    description: 'Failed sign-ins to the customer’s account in 24 hours.',
  },
  {
    name: 'customer.newPayees_24h',
    type: 'int',
    description: 'Payees the customer sent money to for the first time in 24 hours.',
  },
  // The acting customer's velocity.
  {
    name: 'customer.out.count_1h',
    type: 'int',
    description: 'Outgoing movements (transfers, payments, withdrawals) in 1 hour.',
  },
  { name: 'customer.out.count_24h', type: 'int', description: 'Outgoing movements in 24 hours.' },
  {
    name: 'customer.out.sum_1h',
    type: 'int',
    description: 'Amount of outgoing movements in 1 hour, minor units.',
  },
  {
    name: 'customer.out.sum_24h',
    type: 'int',
    description: 'Amount of outgoing movements in 24 hours, minor units.',
  },
  { name: 'customer.out.count_7d', type: 'int', description: 'Outgoing movements in 7 days.' },
  {
    name: 'customer.out.sum_7d',
    type: 'int',
    description: 'Amount of outgoing movements in 7 days, minor units.',
  },
  { name: 'customer.out.count_30d', type: 'int', description: 'Outgoing movements in 30 days.' },
  {
    name: 'customer.out.sum_30d',
    type: 'int',
    description: 'Amount of outgoing movements in 30 days, minor units.',
  },
  {
    name: 'customer.out.avg_24h',
    type: 'int',
    description: 'Mean outgoing movement of 24 hours, minor units (rounded down); 0 when there was none.',
  },
  {
    name: 'customer.out.avg_7d',
    type: 'int',
    description: 'Mean outgoing movement of 7 days, minor units (rounded down); 0 when there was none.',
  },
  {
    name: 'customer.out.avg_30d',
    type: 'int',
    description: 'Mean outgoing movement of 30 days, minor units (rounded down); 0 when there was none.',
  },
  {
    name: 'customer.amountToAvg_30d',
    type: 'double',
    description:
      'This amount divided by the customer’s mean outgoing movement of 30 days (5.0: five times the usual); absent without history.',
  },
  {
    name: 'customer.fraudLabels_30d',
    type: 'int',
    description:
      'Movements of the customer confirmed as fraud (case outcomes, disputes, chargebacks) in the last 30 days, counted when the label arrived.',
  },
  { name: 'customer.received.count_24h', type: 'int', description: 'Incoming transfers in 24 hours.' },
  {
    name: 'customer.received.sum_24h',
    type: 'int',
    description: 'Amount of incoming transfers in 24 hours, minor units.',
  },
  { name: 'customer.topup.count_1h', type: 'int', description: 'Top-ups started in 1 hour.' },
  {
    name: 'customer.topup.smallCount_1h',
    type: 'int',
    description: 'Top-ups in 1 hour below the small-amount threshold (typical of card testing).',
  },
  {
    name: 'customer.failedBindings_1h',
    type: 'int',
    description: 'Card or bank account bindings that failed in 1 hour.',
  },
  // The receiving customer of a transfer.
  {
    name: 'payee.isNew',
    type: 'bool',
    description: 'The customer has never sent money to this payee before.',
  },
  { name: 'payee.accountAgeDays', type: 'int', description: 'Days since the payee registered.' },
  { name: 'payee.kycTier', type: 'int', description: 'The payee’s verification tier (0–2).' },
  {
    name: 'payee.distinctPayers_24h',
    type: 'int',
    description: 'Distinct customers who sent money to the payee in 24 hours.',
  },
  {
    name: 'payee.received.sum_24h',
    type: 'int',
    description: 'Amount the payee received in 24 hours, minor units.',
  },
  // The device the event comes from.
  { name: 'device.isNew', type: 'bool', description: 'First time this device is seen for the customer.' },
  {
    name: 'device.ageHours',
    type: 'int',
    description: 'Hours since the device was first seen for the customer.',
  },
  {
    name: 'device.accountsSeen_30d',
    type: 'int',
    description: 'Distinct customer accounts used on this device in 30 days.',
  },
  // The network address the event comes from.
  { name: 'ip.failedLogins_1h', type: 'int', description: 'Failed sign-ins from this address in 1 hour.' },
  {
    name: 'ip.accountsSeen_24h',
    type: 'int',
    description: 'Distinct customer accounts used from this address in 24 hours.',
  },
  {
    name: 'ip.isProxy',
    type: 'bool',
    description: 'The address is a known proxy, VPN exit or hosting range.',
  },
  {
    name: 'ip.countryMismatch',
    type: 'bool',
    description: 'The address’s country differs from the customer’s usual country.',
  },
  // The merchant of a payment or refund.
  { name: 'merchant.accountAgeDays', type: 'int', description: 'Days since the merchant was registered.' },
  {
    name: 'merchant.refundRate_30d',
    type: 'double',
    description: 'Refunded share of the merchant’s payment amount in 30 days, 0.0–1.0.',
  },
  { name: 'merchant.payments.count_24h', type: 'int', description: 'Payments to the merchant in 24 hours.' },
  { name: 'merchant.payments.count_7d', type: 'int', description: 'Payments to the merchant in 7 days.' },
  { name: 'merchant.payments.count_30d', type: 'int', description: 'Payments to the merchant in 30 days.' },
  {
    name: 'merchant.fraudLabels_7d',
    type: 'int',
    description:
      'Payments to the merchant confirmed as fraud in the last 7 days, counted when the label arrived (a compromised terminal or a merchant in collusion).',
  },
  {
    name: 'merchant.fraudLabels_30d',
    type: 'int',
    description:
      'Payments to the merchant confirmed as fraud in the last 30 days, counted when the label arrived.',
  },
  {
    name: 'merchant.fraudRate_30d',
    type: 'double',
    description:
      'Fraud labels of the merchant that arrived in 30 days over its payments in 30 days, 0.0–1.0; labels arrive late, so it trails the true rate.',
  },
  {
    name: 'merchant.sameAmountPayments_1h',
    type: 'int',
    description: 'Payments to the merchant of exactly this amount in 1 hour.',
  },
  {
    name: 'merchant.linkedPayers_1h',
    type: 'int',
    description:
      'Distinct payers of the merchant in 1 hour that share a device or address with another of its payers.',
  },
  // The model.
  { name: 'model.score', type: 'double', description: 'The risk model’s score for the event, 0.0–1.0.' },
  {
    name: 'model.level',
    type: 'string',
    description: 'The model’s band for the score: low, medium or high.',
    values: MODEL_LEVELS,
  },
];

const BY_NAME = new Map(FEATURES.map((f) => [f.name, f]));

export function featureDef(name: string): FeatureDef | undefined {
  return BY_NAME.get(name);
}
