import type { FeatureInfo } from '../../api/rules.ts';

/**
 * What the test panel starts from: an evening transfer in CNY to someone the customer has
 * paid before, and for every feature of the registry a value an ordinary customer has.
 */
export const EXAMPLE_EVENT = {
  type: 'transfer',
  customerId: 'cus_example_payer',
  counterpartyId: 'cus_example_payee',
  amountMinor: '800000',
  currency: 'CNY',
  channel: 'app',
  deviceId: 'dev-5f2c9a',
  ip: '203.0.113.24',
  geo: { country: 'CN', region: 'Shanghai' },
  hour: 23,
};

/** Values of an ordinary day; features not listed here get a neutral value of their type. */
const TYPICAL: Record<string, number | boolean | string> = {
  'customer.accountAgeDays': 420,
  'customer.kycTier': 2,
  'customer.typicalAmount': 30000,
  'customer.amountPercentile': 0.62,
  'customer.hoursSincePasswordChange': 2200,
  'customer.hoursSincePhoneChange': 87600,
  'customer.distinctDevices_30d': 1,
  'customer.failedLogins_24h': 0,
  'customer.newPayees_24h': 0,
  'customer.out.count_1h': 1,
  'customer.out.count_24h': 3,
  'customer.out.sum_1h': 20000,
  'customer.out.sum_24h': 65000,
  'customer.received.count_24h': 1,
  'customer.received.sum_24h': 12000,
  'customer.topup.count_1h': 0,
  'customer.topup.smallCount_1h': 0,
  'customer.failedBindings_1h': 0,
  'payee.isNew': false,
  'payee.accountAgeDays': 910,
  'payee.kycTier': 2,
  'payee.distinctPayers_24h': 1,
  'payee.received.sum_24h': 50000,
  'device.isNew': false,
  'device.ageHours': 5200,
  'device.accountsSeen_30d': 1,
  'ip.failedLogins_1h': 0,
  'ip.accountsSeen_24h': 1,
  'ip.isProxy': false,
  'ip.countryMismatch': false,
  'merchant.accountAgeDays': 700,
  'merchant.refundRate_30d': 0.02,
  'merchant.sameAmountPayments_1h': 0,
  'merchant.linkedPayers_1h': 0,
  'model.score': 0.12,
  'model.level': 'low',
};

function neutral(f: FeatureInfo): number | boolean | string {
  switch (f.type) {
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'double':
      return 0.0;
    default:
      return f.values[0] ?? '';
  }
}

export function exampleFeatures(features: readonly FeatureInfo[]): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const f of features) {
    const typical = TYPICAL[f.name];
    out[f.name] = typical !== undefined && typeof typical === typeof neutral(f) ? typical : neutral(f);
  }
  return out;
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
