import { array, bool, count, minor, nullable, num, object, str, withDefault } from './decode.ts';

/**
 * GET /v1/overview: the dashboard's figures. Movements per minute over the last hour,
 * decision outcomes over the last day, pending holds by currency and age, open alerts by
 * severity and age with those past their deadline, pending approvals, the custody check and
 * the journal's chain head.
 */
export const HOLD_AGE_BUCKETS = ['underOneHour', 'oneToTwentyFourHours', 'overTwentyFourHours'] as const;
export type HoldAgeBucket = (typeof HOLD_AGE_BUCKETS)[number];
/** Open alerts are counted in the same age buckets as holds. */
export const ALERT_AGE_BUCKETS = HOLD_AGE_BUCKETS;
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

const byAge = object({
  underOneHour: withDefault(count, 0),
  oneToTwentyFourHours: withDefault(count, 0),
  overTwentyFourHours: withDefault(count, 0),
});

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
    byAge,
  }),
  /** Absent from an older server: the dashboard then leaves the alert card out. */
  alerts: nullable(
    object({
      open: withDefault(count, 0),
      overdue: withDefault(count, 0),
      bySeverity: object({
        critical: withDefault(count, 0),
        high: withDefault(count, 0),
        medium: withDefault(count, 0),
        low: withDefault(count, 0),
      }),
      byAge,
    }),
  ),
  pendingApprovals: nullable(count),
  custody: nullable(object({ ok: bool, checkedAt: nullable(str) })),
  chain: nullable(object({ seq: str, hash: str })),
});
export type Dashboard = ReturnType<typeof dashboard>;
