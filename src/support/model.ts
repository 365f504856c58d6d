/**
 * The vocabulary of the support module: dispute reasons and their state machine, feedback
 * categories and their service level, report kinds, and the limits on each. Pure: no storage.
 */
import type { ActorType } from '../security/audit.ts';
import type { DisputeReason, DisputeStatus, FeedbackCategory, FeedbackStatus, ReportKind } from './tables.ts';

export type { DisputeReason, DisputeStatus, FeedbackCategory, FeedbackStatus, ReportKind };

export const DISPUTE_REASONS = [
  'unauthorised',
  'not_received',
  'wrong_amount',
  'duplicate',
  'refund_not_received',
] as const satisfies readonly DisputeReason[];

export const FEEDBACK_CATEGORIES = [
  'payment_problem',
  'security_concern',
  'suspected_fraud',
  'account_access',
  'suggestion',
] as const satisfies readonly FeedbackCategory[];

export const REPORT_KINDS = ['scam', 'compromised'] as const satisfies readonly ReportKind[];

/** Who acts: the signed-in customer, a staff user, or the system's own jobs. */
export interface Actor {
  type: ActorType;
  id: string;
  role?: string;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'support' };

/**
 * Which journal entries a reason can dispute: money the customer sent (payments and
 * transfers); "refund not received" also covers a refund or withdrawal that did not arrive.
 */
export const DISPUTABLE_KINDS: Record<DisputeReason, readonly string[]> = {
  unauthorised: ['payment', 'transfer'],
  not_received: ['payment', 'transfer'],
  wrong_amount: ['payment', 'transfer'],
  duplicate: ['payment', 'transfer'],
  refund_not_received: ['payment', 'transfer', 'refund', 'withdrawal'],
};

/**
 * The dispute state machine. `deciding` is held while a decision's refund runs: only the
 * same outcome may resume it, and a failed refund puts the dispute back to `open`.
 */
export const DISPUTE_TRANSITIONS: Record<DisputeStatus, readonly DisputeStatus[]> = {
  open: ['deciding', 'withdrawn'],
  deciding: ['decided', 'open'],
  decided: [],
  withdrawn: [],
};

/** Disputes that still wait for a decision: they count against the customer's limit and can be overdue. */
export const OPEN_DISPUTE_STATUSES: readonly DisputeStatus[] = ['open', 'deciding'];

export function canMoveDispute(from: DisputeStatus, to: DisputeStatus): boolean {
  return DISPUTE_TRANSITIONS[from].includes(to);
}

/** Feedback: a customer's follow-up puts an answered item back in the queue; closed is final. */
export const FEEDBACK_TRANSITIONS: Record<FeedbackStatus, readonly FeedbackStatus[]> = {
  open: ['answered', 'closed'],
  answered: ['open', 'answered', 'closed'],
  closed: [],
};

export function canMoveFeedback(from: FeedbackStatus, to: FeedbackStatus): boolean {
  return FEEDBACK_TRANSITIONS[from].includes(to);
}

export const LIMITS = {
  /** How far back a transaction can be disputed. */
  disputeWindowDays: 180,
  /** Disputes a customer may have undecided at once. */
  openDisputesPerCustomerMax: 20,
  /** One attachment's size after base64 decoding. */
  attachmentBytesMax: 5 * 1024 * 1024,
  attachmentsPerDisputeMax: 10,
  /**
   * The largest provisional credit paid without a person, in minor units of the dispute's
   * currency (2,000.00 CNY); above it a person decides, and compensates through the case.
   */
  provisionalCreditMaxMinor: 200_000n,
  /** Feedback items a customer may open in 24 hours (reports count separately). */
  feedbackPerDayMax: 20,
  messagesPerFeedbackMax: 50,
  /** Self-service reports a customer may file in 24 hours. */
  reportsPerDayMax: 5,
  pageSizeMax: 100,
  /** Rows one maintenance round handles per kind of work. */
  dueBatchMax: 200,
  /** A provisional credit or reversal still waiting this long after its request was interrupted: retried. */
  retryAfterMs: 5 * 60_000,
  summaryRangeDaysMax: 366,
} as const;

/** A user's first human answer is due this long after they write (K3). */
export const FEEDBACK_FIRST_RESPONSE_MS = 24 * 3_600_000;

export type Lang = 'en' | 'zh-CN';
export interface Bilingual {
  en: string;
  'zh-CN': string;
}

const REASON_NAMES: Record<DisputeReason, Bilingual> = {
  unauthorised: { en: 'a payment you did not make', 'zh-CN': '非本人操作的交易' },
  not_received: { en: 'goods or service not received', 'zh-CN': '未收到商品或服务' },
  wrong_amount: { en: 'a wrong amount', 'zh-CN': '金额错误' },
  duplicate: { en: 'a duplicate payment', 'zh-CN': '重复支付' },
  refund_not_received: { en: 'a refund not received', 'zh-CN': '未收到退款' },
};

/** What the user is told about their dispute now: what happened and what comes next. */
export function disputeMessage(d: {
  status: DisputeStatus;
  reason: DisputeReason;
  dueAt: Date;
  outcome: 'upheld' | 'rejected' | null;
}): Bilingual {
  const day = d.dueAt.toISOString().slice(0, 10);
  const name = REASON_NAMES[d.reason];
  switch (d.status) {
    case 'open':
    case 'deciding':
      return {
        en: `We received your dispute about ${name.en}. A specialist is looking into it and you will have our decision, with its reason, by ${day} (UTC) at the latest.`,
        'zh-CN': `我们已收到您关于“${name['zh-CN']}”的争议申请，专人正在处理，最迟将于 ${day}（UTC）前告知您处理结果及原因。`,
      };
    case 'decided':
      return d.outcome === 'upheld'
        ? {
            en: 'Your dispute was decided in your favour. The reason is shown with the decision; any refund is already in your wallet.',
            'zh-CN': '您的争议申请已处理，结果支持您的诉求。具体原因见处理结果，相应退款已退回您的钱包。',
          }
        : {
            en: 'Your dispute was not upheld. The reason is shown with the decision. If you have new evidence, contact customer service through feedback.',
            'zh-CN': '您的争议申请未获支持，具体原因见处理结果。如有新的证据，请通过意见反馈联系客服。',
          };
    case 'withdrawn':
      return {
        en: 'You withdrew this dispute. Any provisional credit is taken back.',
        'zh-CN': '您已撤回此争议申请，已发放的临时垫付款将被收回。',
      };
    default: {
      const unreachable: never = d.status;
      return unreachable;
    }
  }
}

/** What the user is told after a self-service report: what was done, and what to do now. */
export function reportMessage(kind: ReportKind): {
  message: Bilingual;
  nextSteps: { en: string[]; 'zh-CN': string[] };
} {
  const message: Bilingual = {
    en: 'We froze outgoing payments from your account at once, so no more money can leave it, and a specialist is reviewing your report with priority. Incoming money still arrives.',
    'zh-CN': '我们已立即冻结您账户的对外支付，资金无法再被转出；专人正在优先处理您的报告。转入资金不受影响。',
  };
  const common = {
    en: [
      'Do not transfer any more money to the other party, whatever they promise or threaten.',
      'Keep the chat records, phone numbers, account numbers and screenshots: they are evidence.',
      'Report the fraud to the police (dial 110) or on the national anti-fraud app, and tell us the case number.',
    ],
    'zh-CN': [
      '无论对方承诺或威胁什么，都不要再向其转账。',
      '保留聊天记录、电话号码、收款账号和截图，这些都是证据。',
      '向公安机关报案（拨打 110）或通过国家反诈中心 App 举报，并把报案回执编号告诉我们。',
    ],
  };
  if (kind === 'compromised') {
    return {
      message,
      nextSteps: {
        en: [
          'Change your password from a device you trust, and never reuse it elsewhere.',
          'Check with your mobile operator that your SIM card has not been moved to another phone.',
          'Never tell anyone a verification code, including people who say they work for us.',
          ...common.en.slice(1),
          'To unfreeze your account, contact customer service: a second person confirms it is you.',
        ],
        'zh-CN': [
          '在您信任的设备上修改密码，且不要与其他网站共用。',
          '向手机运营商核实您的 SIM 卡没有被转移到其他手机。',
          '不要把验证码告诉任何人，包括自称我们工作人员的人。',
          ...common['zh-CN'].slice(1),
          '如需解冻账户，请联系客服：将由另一名工作人员复核确认是您本人。',
        ],
      },
    };
  }
  return {
    message,
    nextSteps: {
      en: [
        ...common.en,
        'To unfreeze your account, contact customer service: a second person confirms it is you.',
      ],
      'zh-CN': [...common['zh-CN'], '如需解冻账户，请联系客服：将由另一名工作人员复核确认是您本人。'],
    },
  };
}
