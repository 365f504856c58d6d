import { CURRENCIES, type Currency, formatMinor } from '../platform/money.ts';
import type { RiskOutcome, RiskWarning } from './gate.ts';
import type { RuleHit } from './rules/evaluate.ts';
import { messageText, ruleMessage } from './rules/messages.ts';

/**
 * What a decision says about itself: to the customer, in plain words and both languages
 * (透明性原则: what happens, why, and when they will hear back), and to the analyst, as
 * the rules that acted with the feature values they read.
 */

export interface CustomerMessages {
  en: string;
  zhCN: string;
}

/** Why something was held, as a phrase that completes "held for review because …". */
const REASON_PHRASES: Readonly<Record<string, CustomerMessages>> = {
  LARGE_AMOUNT: { en: 'it is a large amount', zhCN: '金额较大' },
  AMOUNT_UNUSUAL_FOR_CUSTOMER: {
    en: 'the amount is much larger than you usually send',
    zhCN: '金额明显高于您的日常交易',
  },
  IMPERSONATION_YOUNG_PAYEE: {
    en: 'the recipient’s account was opened only days ago',
    zhCN: '收款账户开立时间很短',
  },
  MULE_MANY_PAYERS: {
    en: 'the recipient has received money from many people today',
    zhCN: '收款账户今日收到多人转账',
  },
  MULE_FAST_OUTBOUND: {
    en: 'money that just arrived is leaving again at once',
    zhCN: '刚到账的资金随即被转出',
  },
  STRUCTURING_BELOW_THRESHOLD: {
    en: 'several amounts just below the reporting threshold were sent in a short time',
    zhCN: '短时间内多笔金额略低于申报标准',
  },
  BRUSHING_SAME_AMOUNT: {
    en: 'the merchant received many identical payments from linked accounts',
    zhCN: '该商户收到多笔来自关联账户的相同金额付款',
  },
  MERCHANT_REFUND_RATE_HIGH: {
    en: 'the merchant’s refunds are unusually high',
    zhCN: '该商户退款比例异常偏高',
  },
  PAYEE_NEW: { en: 'this is a new payee', zhCN: '这是新的收款人' },
  FAIL_SAFE: {
    en: 'our checks could not be completed in time',
    zhCN: '安全检查未能及时完成',
  },
};

/** The time customers are told to expect an answer in, for held movements. */
export const REVIEW_ANSWER_HOURS = 2;

function joinEn(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * The customer's message: a hold names its reasons when they are known phrases; other
 * outcomes use the message of the rule that decided. `fallbackKey` is used when no rule
 * decided (a limit or the fail-safe policy did).
 */
export function customerMessages(
  outcome: RiskOutcome,
  reasonCodes: readonly string[],
  decidingKey: string | null,
): CustomerMessages | null {
  if (outcome === 'ALLOW') return null;
  if (outcome === 'REVIEW') {
    const phrases = reasonCodes.flatMap((c) => {
      const p = REASON_PHRASES[c];
      return p ? [p] : [];
    });
    if (phrases.length > 0) {
      return {
        en: `This is held for a short security review because ${joinEn(phrases.map((p) => p.en))}. The money stays reserved in your wallet; expect an answer within ${REVIEW_ANSWER_HOURS} hours.`,
        zhCN: `此笔交易需要进行安全审核，原因是${phrases.map((p) => p.zhCN).join('、')}。资金将在您的钱包中保留，预计 ${REVIEW_ANSWER_HOURS} 小时内给您答复。`,
      };
    }
  }
  const key =
    decidingKey ??
    (outcome === 'REVIEW'
      ? 'risk.msg.review'
      : outcome === 'CHALLENGE'
        ? 'risk.msg.security_check'
        : outcome === 'BLOCK_AND_FREEZE'
          ? 'risk.msg.account_frozen'
          : 'risk.msg.declined');
  const en = messageText(key, 'en');
  const zh = messageText(key, 'zh-CN');
  if (en === undefined || zh === undefined) return null;
  return { en, zhCN: zh };
}

/** The warnings of a challenge, in both languages, for the client to show. */
export function warningsOf(keys: readonly string[]): RiskWarning[] {
  return keys.flatMap((key) => {
    const m = ruleMessage(key);
    return m && m.kind === 'warning' ? [{ key, en: m.en, zhCN: m['zh-CN'] }] : [];
  });
}

const FEATURE_REF = /features\.([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)+)/g;

/** The feature names an expression reads, in order of first mention. */
export function featuresRead(expression: string): string[] {
  const names = new Set<string>();
  for (const m of expression.matchAll(FEATURE_REF)) if (m[1]) names.add(m[1]);
  return [...names];
}

/**
 * `featuresRead` of the expressions explained lately: live traffic explains the same few
 * rules over and over. Bounded; forgotten whole when full.
 */
const readByExpression = new Map<string, readonly string[]>();
const READ_CACHE_MAX = 1_000;

function featuresReadCached(expression: string): readonly string[] {
  let names = readByExpression.get(expression);
  if (names === undefined) {
    if (readByExpression.size >= READ_CACHE_MAX) readByExpression.clear();
    names = featuresRead(expression);
    readByExpression.set(expression, names);
  }
  return names;
}

const AMOUNT_NAME = /(sum|Amount)(_|$)/;

function valueText(name: string, v: unknown, currency: string | null): string {
  if (v === undefined) return 'absent';
  const amountLike = (typeof v === 'bigint' || typeof v === 'number') && AMOUNT_NAME.test(name);
  if (amountLike && currency !== null && Object.hasOwn(CURRENCIES, currency)) {
    return `${formatMinor(BigInt(v as bigint | number), currency as Currency)} ${currency}`;
  }
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
  return String(v);
}

export interface ExplainInput {
  outcome: RiskOutcome;
  currency: string | null;
  /** The event's own amount, for the model's `event.amount` contribution. */
  amountMinor?: bigint | undefined;
  hits: readonly RuleHit[];
  /** Expressions of the hit rules by `ruleId@version`, for the features they read. */
  expressions: ReadonlyMap<string, string>;
  features: Readonly<Record<string, unknown>>;
  limitReasons: readonly string[];
  limitMessage: string | null;
  degraded: readonly string[];
  failSafeOutcome: RiskOutcome | null;
  model: {
    name: string;
    score: number;
    level: string;
    contributions?: ReadonlyArray<{ feature: string; value: number }> | undefined;
  } | null;
  challengePassed: boolean;
  ruleErrors: ReadonlyArray<{ ruleId: string; version: number; message: string }>;
}

/** The analyst's explanation: one line per thing that shaped the outcome. */
export function analystExplanation(x: ExplainInput): string[] {
  const lines: string[] = [];
  for (const code of x.limitReasons) {
    lines.push(`limit ${code}${x.limitMessage ? `: ${x.limitMessage}` : ''}`);
  }
  for (const h of x.hits) {
    const expr = x.expressions.get(`${h.ruleId}@${h.version}`) ?? '';
    const read = featuresReadCached(expr)
      .map((n) => `${n}=${valueText(n, x.features[n], x.currency)}`)
      .join(', ');
    lines.push(
      `${h.shadow ? 'shadow ' : ''}rule ${h.ruleId} v${h.version} → ${h.action} (${h.reasonCode}, ${h.score >= 0 ? '+' : ''}${h.score})${read ? ` with ${read}` : ''}`,
    );
  }
  if (x.model) {
    // The features that pushed the score most, with their values and their push in log-odds.
    const why = (x.model.contributions ?? [])
      .map(
        (c) =>
          `${c.feature}=${valueText(c.feature === 'event.amount' ? 'eventAmount' : c.feature, c.feature === 'event.amount' ? x.amountMinor : x.features[c.feature], x.currency)} (${c.value >= 0 ? '+' : ''}${c.value.toFixed(2)})`,
      )
      .join(', ');
    lines.push(
      `model ${x.model.name}: score ${x.model.score.toFixed(3)} (${x.model.level})${why ? ` because ${why}` : ''}`,
    );
  }
  if (x.degraded.length > 0) {
    lines.push(
      `degraded: ${x.degraded.join(', ')} did not answer in time${x.failSafeOutcome ? `; fail-safe policy → ${x.failSafeOutcome}` : ''}`,
    );
  }
  for (const e of x.ruleErrors) lines.push(`rule ${e.ruleId} v${e.version} skipped: ${e.message}`);
  if (x.challengePassed) lines.push('challenge passed: the customer confirmed with a second factor');
  if (lines.length === 0) lines.push('no rule or limit acted');
  return lines;
}
