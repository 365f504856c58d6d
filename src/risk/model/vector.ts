import type { FeatureValue } from '../features/compute.ts';
import type { RuleEvent } from '../rules/schema.ts';

/**
 * The model's view of an event: a row of numbers, one per model feature, made from the
 * very features the engine computes for the rules (the registry's names) plus the event's
 * own amount. Training, evaluation and live scoring all build rows here, so the model can
 * never be trained on one definition of a feature and served another.
 *
 * Integers and amounts become numbers (amounts stay in minor units: the trees only compare
 * them with thresholds), booleans 0 or 1, and a feature the engine did not provide for the
 * event is missing (`NaN`), which the trees route by their learned default direction.
 */

/** The event's own amount, minor units; not a registry feature, since rules read `amount` directly. */
export const AMOUNT_FEATURE = 'event.amount';

/**
 * The features Bulwark's fraud model reads by default: the amount against the customer's
 * own history (a compromised customer spends unlike themselves), the customer's and the
 * merchant's velocity, and the fraud labels that have arrived for them (a compromised
 * terminal keeps taking fraud). Features that do not apply to an event type are missing
 * for it.
 */
export const DEFAULT_MODEL_FEATURES: readonly string[] = [
  AMOUNT_FEATURE,
  'customer.accountAgeDays',
  'customer.kycTier',
  'customer.out.count_1h',
  'customer.out.count_24h',
  'customer.out.count_7d',
  'customer.out.count_30d',
  'customer.out.avg_24h',
  'customer.out.avg_7d',
  'customer.out.avg_30d',
  'customer.amountToAvg_30d',
  'customer.amountZScore',
  'customer.amountPercentile',
  'customer.typicalAmount',
  'customer.daysDormant',
  'customer.fraudLabels_30d',
  'customer.newPayees_24h',
  'customer.distinctDevices_30d',
  'payee.isNew',
  'payee.accountAgeDays',
  'payee.distinctPayers_24h',
  'device.accountsSeen_30d',
  'ip.accountsSeen_24h',
  'merchant.payments.count_24h',
  'merchant.payments.count_7d',
  'merchant.payments.count_30d',
  'merchant.fraudLabels_7d',
  'merchant.fraudLabels_30d',
  'merchant.fraudRate_30d',
  'merchant.sameAmountPayments_1h',
  'merchant.refundRate_30d',
];

/** A feature value as the model reads it. */
export function numeric(v: FeatureValue | undefined): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    default:
      return Number.NaN;
  }
}

/** Fills `out` with the event's row for the model features `names` (in that order). */
export function vectorize(
  names: readonly string[],
  features: Readonly<Record<string, FeatureValue>>,
  event: Pick<RuleEvent, 'amountMinor'>,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    out[i] = name === AMOUNT_FEATURE ? numeric(event.amountMinor) : numeric(features[name]);
  }
  return out;
}
