import { customerMessages } from '../risk/explain.ts';
import { RULE_MESSAGES } from '../risk/rules/messages.ts';
import { formatMoney, formatTime, type Lang } from './format.ts';

/** One notification's words in one language. */
export interface Text {
  title: string;
  body: string;
}

/** What each template reads: the parsed payloads of the events (see topics.ts). */
export interface HoldPlaced {
  holdId: string;
  customerId: string;
  /** The held movement's kind (`transfer`, `payment`, `withdrawal`…). */
  kind: string;
  amountMinor: string;
  currency: string;
  reasonCodes: string[];
  customerMessage: string | null;
}
export interface HoldSettled {
  holdId: string;
  customerId: string;
  amountMinor: string;
  currency: string;
  /** The journal entry of a released hold (when known); for a rejected one, the stated reason. */
  reference: string | null;
}
export interface Dispute {
  disputeId: string;
  status: string;
  outcome: 'upheld' | 'rejected' | null;
  decisionReason: string | null;
  dueAt: Date;
}
export interface CompensationPaid {
  caseId: string;
  amountMinor: string;
  currency: string;
}
export interface CaseAssigned {
  caseId: string;
  title: string;
}
export type Audience = 'customer' | 'merchant';

/**
 * Every message in one language. A topic renders through one or more of these; a
 * language missing one does not compile, and the catalogue test renders every topic in
 * every language from a sample payload.
 */
export interface Templates {
  holdPlaced(p: HoldPlaced): Text;
  holdReleased(p: HoldSettled): Text;
  holdRejected(p: HoldSettled): Text;
  ownerFrozen(audience: Audience): Text;
  ownerUnfrozen(audience: Audience): Text;
  newDevice(at: Date): Text;
  passwordChanged(at: Date): Text;
  phoneChanged(at: Date): Text;
  disputeOpened(p: Dispute, audience: Audience): Text;
  disputeUpdated(p: Dispute, audience: Audience): Text;
  disputeDecided(p: Dispute, audience: Audience): Text;
  feedbackAnswered(category: string): Text;
  compensationPaid(p: CompensationPaid): Text;
  caseAssigned(p: CaseAssigned): Text;
}

/** Free text from staff (a decision's reason) is quoted as given, bounded. */
const REASON_MAX = 500;
const bounded = (s: string) => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

/**
 * Why a movement is held, in both languages. The English text is what the customer was
 * told when they made it (the decision's message); the Chinese one is the same rule
 * message when the English one is a known rule message, otherwise the hold's reasons in
 * plain words (`risk/explain.ts`), never the raw reason codes.
 */
function holdReason(p: HoldPlaced): { en: string; zh: string } {
  const fromCodes = customerMessages('REVIEW', p.reasonCodes, null);
  const rule =
    p.customerMessage === null
      ? undefined
      : Object.values(RULE_MESSAGES).find((m) => m.en === p.customerMessage);
  if (rule) return { en: rule.en, zh: rule['zh-CN'] };
  return {
    en: p.customerMessage ?? fromCodes?.en ?? 'It is held for a short security review.',
    zh: fromCodes?.zhCN ?? '此笔交易需要进行安全审核。',
  };
}

const KIND_EN: Record<string, string> = {
  transfer: 'transfer',
  payment: 'payment',
  withdrawal: 'withdrawal',
};
const KIND_ZH: Record<string, string> = { transfer: '转账', payment: '付款', withdrawal: '提现' };
const kindEn = (kind: string) => (Object.hasOwn(KIND_EN, kind) ? KIND_EN[kind] : undefined) ?? 'transaction';
const kindZh = (kind: string) => (Object.hasOwn(KIND_ZH, kind) ? KIND_ZH[kind] : undefined) ?? '交易';

/** The dispute statuses support writes (`support/model.ts`); a status new to this table is shown as its code. */
const STATUS_EN: Record<string, string> = {
  open: 'open',
  deciding: 'being decided',
  decided: 'decided',
  withdrawn: 'withdrawn',
};
const STATUS_ZH: Record<string, string> = {
  open: '已受理',
  deciding: '裁决中',
  decided: '已裁决',
  withdrawn: '已撤回',
};
/** The feedback categories of support (`support/model.ts`); likewise. */
const CATEGORY_EN: Record<string, string> = {
  payment_problem: 'a payment problem',
  security_concern: 'a security concern',
  suspected_fraud: 'suspected fraud',
  account_access: 'access to your account',
  suggestion: 'a suggestion',
};
const CATEGORY_ZH: Record<string, string> = {
  payment_problem: '支付问题',
  security_concern: '安全疑虑',
  suspected_fraud: '疑似诈骗',
  account_access: '账户登录',
  suggestion: '建议',
};

/** A code's words, or the code itself with underscores as spaces when it is new to this table. */
const label = (table: Record<string, string>, code: string) =>
  Object.hasOwn(table, code) ? (table[code] ?? code) : code.replaceAll('_', ' ');

const en: Templates = {
  holdPlaced: (p) => ({
    title: `Your ${kindEn(p.kind)} is held for review`,
    body: `Your ${kindEn(p.kind)} of ${formatMoney(p.amountMinor, p.currency, 'en')} is on hold. ${holdReason(p).en}`,
  }),
  holdReleased: (p) => ({
    title: 'Review passed: your money went through',
    body: `${formatMoney(p.amountMinor, p.currency, 'en')} that was held for review has been approved and completed${
      p.reference === null ? '' : ` (reference ${p.reference})`
    }.`,
  }),
  holdRejected: (p) => ({
    title: 'Review finished: your money was not sent',
    body: `${formatMoney(p.amountMinor, p.currency, 'en')} that was held for review was not sent${
      p.reference === 'expired' ? ' because the review window ended before a decision' : ''
    }. The money is available in your wallet again.`,
  }),
  ownerFrozen: (audience) =>
    audience === 'customer'
      ? {
          title: 'Your account is frozen',
          body: 'Your account and wallets are frozen for your protection while we check recent activity. Payments, transfers and withdrawals are paused. Contact support if you have questions.',
        }
      : {
          title: 'Your merchant account is frozen',
          body: 'Your merchant account is frozen while we check recent activity. Collections and settlements are paused. Contact your account manager if you have questions.',
        },
  ownerUnfrozen: (audience) => ({
    title: audience === 'customer' ? 'Your account is active again' : 'Your merchant account is active again',
    body:
      audience === 'customer'
        ? 'The freeze on your account has been lifted. You can pay, transfer and withdraw again.'
        : 'The freeze on your merchant account has been lifted. Collections and settlements resume.',
  }),
  newDevice: (at) => ({
    title: 'New sign-in to your account',
    body: `Your account was signed in to from a new device at ${formatTime(at, 'en')}. If this was not you, change your password now and end your other sessions.`,
  }),
  passwordChanged: (at) => ({
    title: 'Your password was changed',
    body: `Your password was changed at ${formatTime(at, 'en')} and your other sessions were ended. If you did not do this, contact support at once.`,
  }),
  phoneChanged: (at) => ({
    title: 'Your phone number was changed',
    body: `The phone number on your account was changed at ${formatTime(at, 'en')}. If you did not do this, contact support at once.`,
  }),
  disputeOpened: (p, audience) =>
    audience === 'customer'
      ? {
          title: 'We received your dispute',
          body: `Dispute ${p.disputeId} is open. We will answer by ${formatTime(p.dueAt, 'en')}.`,
        }
      : {
          title: 'A customer disputed a payment to you',
          body: `Dispute ${p.disputeId} was opened about a payment to you. Please respond before ${formatTime(p.dueAt, 'en')}.`,
        },
  disputeUpdated: (p, audience) => ({
    title: audience === 'customer' ? 'Update on your dispute' : 'Update on a dispute',
    body: `Dispute ${p.disputeId} is now ${label(STATUS_EN, p.status)}. ${
      audience === 'customer' ? 'We will answer by' : 'Please respond before'
    } ${formatTime(p.dueAt, 'en')}.`,
  }),
  disputeDecided: (p, audience) => {
    const why = p.decisionReason ? ` Reason: ${bounded(p.decisionReason)}` : '';
    if (p.outcome === null) {
      return { title: 'A dispute was decided', body: `Dispute ${p.disputeId} has been decided.${why}` };
    }
    const inFavour = (p.outcome === 'upheld') === (audience === 'customer');
    return {
      title:
        audience === 'customer'
          ? p.outcome === 'upheld'
            ? 'Your dispute was upheld'
            : 'Your dispute was not upheld'
          : 'A dispute about a payment to you was decided',
      body: `Dispute ${p.disputeId} was decided ${inFavour ? 'in your favour' : audience === 'customer' ? "in the merchant's favour" : "in the customer's favour"}.${why}`,
    };
  },
  feedbackAnswered: (category) => ({
    title: 'We answered your feedback',
    body: `Our team has replied to your feedback about ${label(CATEGORY_EN, category)}. Open it to read the answer.`,
  }),
  compensationPaid: (p) => ({
    title: 'Compensation paid',
    body: `We have paid you ${formatMoney(p.amountMinor, p.currency, 'en')} in compensation for case ${p.caseId}. It is in your wallet now.`,
  }),
  caseAssigned: (p) => ({
    title: 'A case was assigned to you',
    body: `Case ${p.caseId} was assigned to you: ${bounded(p.title)}`,
  }),
};

const zhCN: Templates = {
  holdPlaced: (p) => ({
    title: `您的${kindZh(p.kind)}正在审核`,
    body: `您的一笔${kindZh(p.kind)}（${formatMoney(p.amountMinor, p.currency, 'zh-CN')}）已暂缓处理。${holdReason(p).zh}`,
  }),
  holdReleased: (p) => ({
    title: '审核通过：资金已完成处理',
    body: `此前因审核暂缓的 ${formatMoney(p.amountMinor, p.currency, 'zh-CN')} 已审核通过并完成处理${
      p.reference === null ? '' : `（参考号 ${p.reference}）`
    }。`,
  }),
  holdRejected: (p) => ({
    title: '审核结束：资金未转出',
    body: `此前因审核暂缓的 ${formatMoney(p.amountMinor, p.currency, 'zh-CN')} 未转出${
      p.reference === 'expired' ? '（审核期限已到，未能作出决定）' : ''
    }。该笔资金已恢复为您钱包中的可用余额。`,
  }),
  ownerFrozen: (audience) =>
    audience === 'customer'
      ? {
          title: '您的账户已冻结',
          body: '为保护您的资金安全，我们在核查近期交易期间冻结了您的账户和钱包，付款、转账和提现暂停。如有疑问请联系客服。',
        }
      : {
          title: '您的商户账户已冻结',
          body: '我们在核查近期交易期间冻结了您的商户账户，收款和结算暂停。如有疑问请联系您的客户经理。',
        },
  ownerUnfrozen: (audience) => ({
    title: audience === 'customer' ? '您的账户已解冻' : '您的商户账户已解冻',
    body:
      audience === 'customer'
        ? '您账户的冻结已解除，可以正常付款、转账和提现。'
        : '您商户账户的冻结已解除，收款和结算恢复。',
  }),
  newDevice: (at) => ({
    title: '您的账户在新设备上登录',
    body: `您的账户于 ${formatTime(at, 'zh-CN')} 在一台新设备上登录。如非本人操作，请立即修改密码并退出其他会话。`,
  }),
  passwordChanged: (at) => ({
    title: '您的密码已修改',
    body: `您的密码已于 ${formatTime(at, 'zh-CN')} 修改，其他会话已退出。如非本人操作，请立即联系客服。`,
  }),
  phoneChanged: (at) => ({
    title: '您的手机号已更换',
    body: `您账户绑定的手机号已于 ${formatTime(at, 'zh-CN')} 更换。如非本人操作，请立即联系客服。`,
  }),
  disputeOpened: (p, audience) =>
    audience === 'customer'
      ? {
          title: '我们已收到您的争议申请',
          body: `争议 ${p.disputeId} 已受理，我们将在 ${formatTime(p.dueAt, 'zh-CN')} 前给您答复。`,
        }
      : {
          title: '有用户对向您的付款提出争议',
          body: `用户就一笔向您的付款提出了争议 ${p.disputeId}，请在 ${formatTime(p.dueAt, 'zh-CN')} 前回复。`,
        },
  disputeUpdated: (p, audience) => ({
    title: audience === 'customer' ? '您的争议有新进展' : '争议有新进展',
    body: `争议 ${p.disputeId} 当前状态：${label(STATUS_ZH, p.status)}。${
      audience === 'customer' ? '我们将在' : '请在'
    } ${formatTime(p.dueAt, 'zh-CN')} ${audience === 'customer' ? '前给您答复' : '前回复'}。`,
  }),
  disputeDecided: (p, audience) => {
    const why = p.decisionReason ? `理由：${bounded(p.decisionReason)}` : '';
    if (p.outcome === null) {
      return { title: '争议已裁决', body: `争议 ${p.disputeId} 已作出裁决。${why}` };
    }
    const inFavour = (p.outcome === 'upheld') === (audience === 'customer');
    return {
      title:
        audience === 'customer'
          ? p.outcome === 'upheld'
            ? '您的争议申请已获支持'
            : '您的争议申请未获支持'
          : '一笔向您的付款的争议已裁决',
      body: `争议 ${p.disputeId} 的裁决结果${inFavour ? '对您有利' : audience === 'customer' ? '支持商户一方' : '支持用户一方'}。${why}`,
    };
  },
  feedbackAnswered: (category) => ({
    title: '您的反馈已有答复',
    body: `我们已答复您关于「${label(CATEGORY_ZH, category)}」的反馈，请打开查看。`,
  }),
  compensationPaid: (p) => ({
    title: '补偿已到账',
    body: `我们已就案件 ${p.caseId} 向您支付补偿 ${formatMoney(p.amountMinor, p.currency, 'zh-CN')}，款项已存入您的钱包。`,
  }),
  caseAssigned: (p) => ({
    title: '有案件分配给您',
    body: `案件 ${p.caseId} 已分配给您：${bounded(p.title)}`,
  }),
};

export const TEMPLATES: Readonly<Record<Lang, Templates>> = { en, 'zh-CN': zhCN };
