import type { LiveVersion } from './compile.ts';
import type { StarterRule } from './store.ts';

/**
 * The rules Bulwark starts with, loaded once as acting versions published by `system`
 * (an analyst then tunes, shadows or retires them like any other). Each targets a fraud
 * pattern seen in wallets; thresholds are starting points, to be tuned on shadow data.
 *
 * Absolute amounts are in CNY minor units (fen) and the rules say so: a rule for
 * another currency is a separate rule with its own threshold.
 */
export const STARTER_RULES: readonly StarterRule[] = [
  {
    id: 'ato_new_device_withdrawal',
    name: 'Account takeover: withdrawal from a new device after a password change',
    description:
      'A withdrawal from a device first seen for the customer within the last day, within a day of a password change or reset: the usual sequence after stolen credentials (the attacker signs in, changes the password, then drains).',
    expression: `event.type == 'withdrawal'
  && features.device.ageHours < 24
  && features.customer.hoursSincePasswordChange < 24`,
    action: 'BLOCK',
    score: 60,
    reasonCode: 'ATO_NEW_DEVICE_WITHDRAWAL',
    messageKey: 'risk.msg.account_protected',
    warningKey: null,
  },
  {
    id: 'ato_credentials_and_phone',
    name: 'Account takeover: password and phone changed, money leaving from a new device',
    description:
      'Password and phone number both changed within a day and money leaves from a new device: the attacker has locked the customer out. The account is frozen to keep the balance.',
    expression: `event.type in ['withdrawal', 'transfer']
  && features.device.ageHours < 24
  && features.customer.hoursSincePasswordChange < 24
  && features.customer.hoursSincePhoneChange < 24`,
    action: 'BLOCK_AND_FREEZE',
    score: 90,
    reasonCode: 'ATO_CREDENTIALS_AND_PHONE_CHANGED',
    messageKey: 'risk.msg.account_frozen',
    warningKey: null,
  },
  {
    id: 'phishing_new_payee_night',
    name: 'Phishing: large first transfer to a new payee at night',
    description:
      'A first transfer of 5,000 CNY or more to someone the customer never paid, late at night: typical of romance and investment scams. The customer must read a warning and confirm.',
    expression: `event.type == 'transfer'
  && features.payee.isNew
  && event.currency == 'CNY' && amount >= 500000
  && (event.hour >= 22 || event.hour < 6)`,
    action: 'CHALLENGE',
    score: 30,
    reasonCode: 'PHISHING_NEW_PAYEE_NIGHT',
    messageKey: 'risk.msg.security_check',
    warningKey: 'risk.warn.online_contact',
  },
  {
    id: 'impersonation_young_payee',
    name: 'Impersonation: large transfer to an account younger than 7 days',
    description:
      'A transfer of 10,000 CNY or more to an account opened less than a week ago: fraudsters posing as officials or relatives collect into fresh accounts.',
    expression: `event.type == 'transfer'
  && features.payee.accountAgeDays < 7
  && event.currency == 'CNY' && amount >= 1000000`,
    action: 'REVIEW',
    score: 40,
    reasonCode: 'IMPERSONATION_YOUNG_PAYEE',
    messageKey: 'risk.msg.payee_review',
    warningKey: null,
  },
  {
    id: 'card_testing',
    name: 'Card testing: many small top-ups or failed bindings in an hour',
    description:
      'Five or more small top-ups, or three or more failed card or bank account bindings, within an hour: stolen card numbers being tried.',
    expression: `(event.type == 'topup' && features.customer.topup.smallCount_1h >= 5)
  || (event.type in ['card_binding', 'bank_account_binding'] && features.customer.failedBindings_1h >= 3)`,
    action: 'BLOCK',
    score: 70,
    reasonCode: 'CARD_TESTING',
    messageKey: 'risk.msg.card_declined',
    warningKey: null,
  },
  {
    id: 'mule_many_payers',
    name: 'Money mule: payee receiving from many payers',
    description:
      'The payee received money from ten or more different customers in a day: a collection account for scam proceeds.',
    expression: `event.type == 'transfer' && features.payee.distinctPayers_24h >= 10`,
    action: 'REVIEW',
    score: 40,
    reasonCode: 'MULE_MANY_PAYERS',
    messageKey: 'risk.msg.payee_review',
    warningKey: null,
  },
  {
    id: 'brushing_merchant',
    name: 'Brushing: repeated same-amount payments from linked accounts',
    description:
      'Five or more payments of exactly this amount to the merchant within an hour, three or more of the payers sharing devices or addresses: fake sales to inflate ratings or launder money.',
    expression: `event.type == 'payment'
  && features.merchant.sameAmountPayments_1h >= 5
  && features.merchant.linkedPayers_1h >= 3`,
    action: 'REVIEW',
    score: 30,
    reasonCode: 'BRUSHING_SAME_AMOUNT',
    messageKey: 'risk.msg.merchant_review',
    warningKey: null,
  },
  {
    id: 'large_vs_history',
    name: 'Amount far above the customer’s history',
    description:
      'Above 99% of the customer’s own movements of 90 days, more than five times their typical amount and over four standard deviations above their mean, from 2,000 CNY: a real break with the customer’s habits, not a first somewhat larger payment.',
    expression: `event.type in ['transfer', 'payment', 'withdrawal']
  && features.customer.typicalAmount > 0
  && features.customer.amountPercentile > 0.99
  && amount > 5 * features.customer.typicalAmount
  && features.customer.amountZScore > 4.0
  && event.currency == 'CNY' && amount >= 200000`,
    action: 'REVIEW',
    score: 30,
    reasonCode: 'AMOUNT_UNUSUAL_FOR_CUSTOMER',
    messageKey: 'risk.msg.unusual_amount',
    warningKey: null,
  },
  {
    id: 'credential_stuffing_ip',
    name: 'Credential stuffing: sign-in from an address with many failures',
    description:
      'Twenty or more failed sign-ins from the address within an hour: passwords from leaks being tried.',
    expression: `event.type == 'login' && features.ip.failedLogins_1h >= 20`,
    action: 'CHALLENGE',
    score: 20,
    reasonCode: 'CREDENTIAL_STUFFING_IP',
    messageKey: 'risk.msg.security_check',
    warningKey: null,
  },
  {
    id: 'device_many_accounts',
    name: 'Device farm: one device, many accounts',
    description:
      'The device was used by five or more accounts in 30 days: fake registrations, bonus abuse or mule accounts run from one phone.',
    expression: `event.type in ['registration', 'login', 'card_binding', 'bank_account_binding']
  && features.device.accountsSeen_30d >= 5`,
    action: 'CHALLENGE',
    score: 20,
    reasonCode: 'DEVICE_MANY_ACCOUNTS',
    messageKey: 'risk.msg.security_check',
    warningKey: null,
  },
  {
    id: 'sensitive_change_new_device',
    name: 'Contact change from a new device soon after a password change',
    description:
      'The phone number or e-mail address changed from a new device within a day of a password change: the step before an account takeover locks the customer out.',
    expression: `event.type in ['phone_change', 'email_change']
  && features.device.ageHours < 24
  && features.customer.hoursSincePasswordChange < 24`,
    action: 'CHALLENGE',
    score: 25,
    reasonCode: 'SENSITIVE_CHANGE_NEW_DEVICE',
    messageKey: 'risk.msg.security_check',
    warningKey: 'risk.warn.new_device',
  },
  {
    id: 'merchant_refund_abuse',
    name: 'Refund abuse: young merchant refunding a large share',
    description:
      'A refund by a merchant less than 90 days old that refunded more than 30% of its payments in 30 days: refunds used to move money out.',
    expression: `event.type == 'refund'
  && features.merchant.accountAgeDays < 90
  && features.merchant.refundRate_30d > 0.3`,
    action: 'REVIEW',
    score: 30,
    reasonCode: 'MERCHANT_REFUND_RATE_HIGH',
    messageKey: 'risk.msg.review',
    warningKey: null,
  },
  {
    id: 'mule_fast_outbound',
    name: 'Mule account: money that just arrived from many payers leaves at once',
    description:
      'A young account (under 30 days) that received five or more payments today sends on at least half of what arrived: the collect-and-forward pattern of money mules.',
    expression: `event.type in ['withdrawal', 'transfer']
  && features.customer.accountAgeDays < 30
  && features.customer.received.count_24h >= 5
  && amount * 2 >= features.customer.received.sum_24h`,
    action: 'REVIEW',
    score: 45,
    reasonCode: 'MULE_FAST_OUTBOUND',
    messageKey: 'risk.msg.review',
    warningKey: null,
  },
  {
    id: 'structuring_below_threshold',
    name: 'Structuring: repeated amounts just below the 50,000 CNY reporting threshold',
    description:
      'A third or later outgoing movement within a day of 45,000 to 49,999.99 CNY: splitting money to stay under the large-value report.',
    expression: `event.type in ['transfer', 'withdrawal']
  && event.currency == 'CNY' && amount >= 4500000 && amount < 5000000
  && features.customer.out.count_24h >= 2`,
    action: 'REVIEW',
    score: 40,
    reasonCode: 'STRUCTURING_BELOW_THRESHOLD',
    messageKey: 'risk.msg.review',
    warningKey: null,
  },
  {
    id: 'impossible_travel',
    name: 'Impossible travel: acting from far away sooner than a flight could arrive',
    description:
      'More than 500 km from where the customer last acted, at a speed above 900 km/h: the account is being used from two places at once, typically after stolen credentials. Money out and sensitive changes need a second factor.',
    expression: `event.type in ['withdrawal', 'transfer', 'password_change', 'phone_change', 'email_change', 'bank_account_binding']
  && has(features.customer.travelKmh)
  && features.customer.travelKmh > 900.0
  && features.customer.distanceFromLastKm > 500.0`,
    action: 'CHALLENGE',
    score: 35,
    reasonCode: 'IMPOSSIBLE_TRAVEL',
    messageKey: 'risk.msg.security_check',
    warningKey: null,
  },
];

/** The starter rules as acting first versions, for engines built without a store (tests, benchmarks). */
export function starterLiveVersions(): LiveVersion[] {
  return STARTER_RULES.map((r) => ({
    ruleId: r.id,
    version: 1,
    expression: r.expression,
    action: r.action,
    score: r.score,
    reasonCode: r.reasonCode,
    messageKey: r.messageKey,
    warningKey: r.warningKey,
    state: 'active',
  }));
}
