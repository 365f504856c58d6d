/**
 * What customers are told when a rule acts, in English and Chinese. Rules name a key;
 * the words live here, reviewed once, so an analyst's rule can never put arbitrary text
 * in front of a customer. Customer messages say what happens next; warnings are shown in
 * the moment by a CHALLENGE, before the customer confirms, and must be read to go on.
 */

export const RULE_LOCALES = ['en', 'zh-CN'] as const;
export type RuleLocale = (typeof RULE_LOCALES)[number];

export type MessageKind = 'customer' | 'warning';

export interface RuleMessage {
  kind: MessageKind;
  en: string;
  'zh-CN': string;
}

export const RULE_MESSAGES = {
  'risk.msg.security_check': {
    kind: 'customer',
    en: 'For your security we need to confirm it is you before this goes ahead.',
    'zh-CN': '为了您的账户安全，我们需要先确认是您本人操作。',
  },
  'risk.msg.review': {
    kind: 'customer',
    en: 'This is held for a short security review. The money stays reserved in your wallet; we expect to finish within 2 hours.',
    'zh-CN': '此笔交易需要进行安全审核，资金将在您的钱包中保留，预计 2 小时内完成。',
  },
  'risk.msg.unusual_amount': {
    kind: 'customer',
    en: 'This amount is much larger than you usually send, so it is held for a short security review. The money stays reserved in your wallet.',
    'zh-CN': '此笔金额明显高于您的日常交易，需要进行安全审核，资金将在您的钱包中保留。',
  },
  'risk.msg.payee_review': {
    kind: 'customer',
    en: 'The recipient’s account is new or unusually busy, so this transfer is held for a short security review. The money stays reserved in your wallet.',
    'zh-CN': '收款账户为新开户或近期交易异常频繁，此笔转账需要进行安全审核，资金将在您的钱包中保留。',
  },
  'risk.msg.declined': {
    kind: 'customer',
    en: 'This was declined for your security. If you did not expect this, contact customer service.',
    'zh-CN': '为保障您的资金安全，此笔交易未能完成。如有疑问，请联系客服。',
  },
  'risk.msg.account_protected': {
    kind: 'customer',
    en: 'We noticed changes to your account that may not have been made by you, so we stopped this withdrawal. Contact customer service to confirm your identity.',
    'zh-CN': '我们发现您的账户近期发生了可能并非本人操作的变更，已暂停此次提现。请联系客服核实身份。',
  },
  'risk.msg.account_frozen': {
    kind: 'customer',
    en: 'Your account has been frozen to protect your money, because it appears someone else has taken control of it. Contact customer service to restore access.',
    'zh-CN': '您的账户疑似被他人控制，为保护您的资金，账户已被冻结。请联系客服恢复使用。',
  },
  'risk.msg.card_declined': {
    kind: 'customer',
    en: 'Too many attempts were made in a short time, so this was declined. Try again later.',
    'zh-CN': '短时间内尝试次数过多，操作未能完成，请稍后再试。',
  },
  'risk.msg.merchant_review': {
    kind: 'customer',
    en: 'This payment is held for a short security review; we expect to finish within 2 hours.',
    'zh-CN': '此笔支付需要进行安全审核，预计 2 小时内完成。',
  },
  'risk.warn.online_contact': {
    kind: 'warning',
    en: 'Has someone you met online asked you to transfer money? Scammers pose as friends, partners or investment advisers. Do not continue if you have never met this person.',
    'zh-CN': '是否有网上认识的人要求您转账？骗子常冒充好友、恋人或投资顾问。如果您从未见过此人，请不要继续。',
  },
  'risk.warn.impersonation': {
    kind: 'warning',
    en: 'Is someone claiming to be from the police, a bank or a government office asking you to move money? They never ask for transfers. Hang up and call the official number.',
    'zh-CN':
      '是否有人自称公安、银行或政府工作人员要求您转账？他们绝不会要求转账，请挂断电话并拨打官方号码核实。',
  },
  'risk.warn.new_device': {
    kind: 'warning',
    en: 'You are signing in from a new device. Never share verification codes with anyone, including people who say they work for us.',
    'zh-CN': '您正在新设备上登录。请勿向任何人透露验证码，包括自称我们工作人员的人。',
  },
} as const satisfies Record<string, RuleMessage>;

export type RuleMessageKey = keyof typeof RULE_MESSAGES;

const CATALOGUE: ReadonlyMap<string, RuleMessage> = new Map(Object.entries(RULE_MESSAGES));

export function ruleMessage(key: string): RuleMessage | undefined {
  return CATALOGUE.get(key);
}

/** The text of a message in a locale; undefined for a key the catalogue does not have. */
export function messageText(key: string, locale: RuleLocale): string | undefined {
  return CATALOGUE.get(key)?.[locale];
}

/** Every message, for the console's rule editor. */
export function messageCatalogue(): Array<{ key: string } & RuleMessage> {
  return [...CATALOGUE].map(([key, m]) => ({ key, ...m }));
}
