import { array, bool, count, minor, nullable, num, object, str, withDefault } from './decode.ts';

/**
 * GET /v1/overview: the dashboard's figures. Movements per minute over the last hour,
 * decision outcomes over the last day, pending holds by currency and age, pending
 * approvals, the custody check and the journal's chain head.
 */
export const HOLD_AGE_BUCKETS = ['underOneHour', 'oneToTwentyFourHours', 'overTwentyFourHours'] as const;
export type HoldAgeBucket = (typeof HOLD_AGE_BUCKETS)[number];

export const dashboard = object({
  at: nullable(str),
  movements: object({
    total: withDefault(count, 0),
    perMinute: withDefault(array(object({ minute: str, count })), []),
  }),
  decisions: object({
    total: withDefault(count, 0),
    outcomes: withDefault(array(object({ outcome: str, count, rate: nullable(num) })), []),
  }),
  holds: object({
    pending: withDefault(count, 0),
    byCurrency: withDefault(array(object({ currency: str, count, amountMinor: minor })), []),
    byAge: object({
      underOneHour: withDefault(count, 0),
      oneToTwentyFourHours: withDefault(count, 0),
      overTwentyFourHours: withDefault(count, 0),
    }),
  }),
  pendingApprovals: nullable(count),
  custody: nullable(object({ ok: bool, checkedAt: nullable(str) })),
  chain: nullable(object({ seq: str, hash: str })),
});
export type Dashboard = ReturnType<typeof dashboard>;
