/**
 * Customer education (K6): security tips and answers to common questions, in English and
 * Simplified Chinese, and the tips that fit a risk decision's reason codes, so a user who
 * was stopped learns why the pattern is dangerous. The words live here, reviewed once.
 */
import type { Bilingual, Lang } from './model.ts';

export const TIP_TOPICS = ['scams', 'account', 'payments', 'limits'] as const;
export type TipTopic = (typeof TIP_TOPICS)[number];

export interface Tip {
  id: string;
  topic: TipTopic;
  title: Bilingual;
  body: Bilingual;
}

export interface FaqItem {
  id: string;
  question: Bilingual;
  answer: Bilingual;
}

export const TIPS: readonly Tip[] = [
  {
    id: 'verification_codes',
    topic: 'account',
    title: {
      en: 'Never share a verification code',
      'zh-CN': '任何情况下都不要透露验证码',
    },
    body: {
      en: 'A verification code is the key to your account. We, the police and banks never ask for it by phone, chat or e-mail. Anyone asking for a code, or for a screenshot of one, is trying to take over your account: hang up.',
      'zh-CN':
        '验证码就是您账户的钥匙。我们、公安机关和银行都不会通过电话、聊天或邮件向您索要验证码。任何索要验证码或验证码截图的人，都是想盗取您的账户，请立即挂断。',
    },
  },
  {
    id: 'phishing_links',
    topic: 'scams',
    title: { en: 'Do not sign in through links in messages', 'zh-CN': '不要通过短信或聊天中的链接登录' },
    body: {
      en: 'Fake sites copy our pages to collect passwords and card numbers. Open the app or type the address yourself instead of following a link in a text message, e-mail or chat, however urgent it sounds ("your account will be closed", "claim your refund").',
      'zh-CN':
        '钓鱼网站会仿冒我们的页面骗取密码和银行卡号。无论信息说得多紧急（“账户将被注销”“点击领取退款”），都请直接打开 App 或手动输入网址，不要点击短信、邮件或聊天中的链接。',
    },
  },
  {
    id: 'fake_customer_service',
    topic: 'scams',
    title: { en: 'Fake customer service', 'zh-CN': '警惕冒充客服' },
    body: {
      en: 'Scammers call pretending to be our customer service or a shop, about a "problem with your order", "a membership that will charge you" or "a credit score to fix", and ask you to transfer money to a "safe account" or to share your screen. Real customer service never asks you to move money. Hang up and contact us from the app.',
      'zh-CN':
        '骗子会冒充我们的客服或电商客服，以“订单异常”“会员将自动扣费”“修复征信”为由，要求您把钱转到“安全账户”或开启屏幕共享。真正的客服绝不会让您转账。请挂断电话，通过 App 联系我们。',
    },
  },
  {
    id: 'refund_scams',
    topic: 'scams',
    title: { en: 'Refund scams', 'zh-CN': '警惕“退款”诈骗' },
    body: {
      en: 'A refund never requires you to pay first, scan a code, take a loan or give a verification code. If a caller offers a refund "with compensation" for a lost parcel or faulty goods, check the order in the shop’s own app. Real refunds arrive in your wallet by themselves.',
      'zh-CN':
        '退款从来不需要您先付款、扫码、贷款或提供验证码。如果有人以“快递丢失”“商品质量问题”为由主动联系您“退款理赔”，请在购物平台官方 App 中核实订单。真正的退款会自动退回您的钱包。',
    },
  },
  {
    id: 'sim_swap',
    topic: 'account',
    title: { en: 'Protect your phone number (SIM swap)', 'zh-CN': '保护好您的手机号（防范补卡盗号）' },
    body: {
      en: 'If your phone suddenly shows "no service" while others around you have signal, someone may have moved your number to their SIM card to receive your codes. Call your operator from another phone at once, then report a compromised account here: we freeze outgoing payments immediately.',
      'zh-CN':
        '如果您的手机突然显示“无服务”，而身边其他人信号正常，可能有人已将您的号码补办到他们的 SIM 卡上以接收您的验证码。请立即用其他电话联系运营商，并在这里报告账户被盗：我们会立即冻结对外支付。',
    },
  },
  {
    id: 'safe_passwords',
    topic: 'account',
    title: { en: 'Use a password only here', 'zh-CN': '为本账户使用独立的密码' },
    body: {
      en: 'Use a long password (a few unrelated words work well) that you use nowhere else: passwords leaked from other sites are tried here within hours. Do not use your birthday, phone number or ID number, and turn on an authenticator app or passkey.',
      'zh-CN':
        '使用一个足够长且不在其他地方使用的密码（几个不相关的词组合即可）：其他网站泄露的密码往往几小时内就会被拿来尝试登录。不要使用生日、手机号或身份证号，并开启身份验证器或通行密钥。',
    },
  },
  {
    id: 'online_romance_investment',
    topic: 'scams',
    title: { en: 'Online friends who talk about investing', 'zh-CN': '网上认识的人谈投资，多半是骗局' },
    body: {
      en: 'Someone you met online who becomes close quickly and then shows you an investment platform with high, "guaranteed" returns is almost always a scammer. Small early withdrawals are allowed to win your trust. Never transfer money to a person you have not met.',
      'zh-CN':
        '网上结识、迅速拉近关系，然后向您推荐“稳赚不赔”、高回报投资平台的人，几乎都是骗子（“杀猪盘”）。前期让您小额提现成功只是为了骗取信任。不要给从未见过面的人转账。',
    },
  },
  {
    id: 'impersonation_officials',
    topic: 'scams',
    title: { en: 'Police and officials never ask for transfers', 'zh-CN': '公检法不会要求转账' },
    body: {
      en: 'A caller claiming to be the police, a court or a bank who says your account is involved in a crime and that you must move money to a "safe account" to prove your innocence is a scammer. No official ever handles a case by phone transfer. Hang up and call 110.',
      'zh-CN':
        '自称公安、法院或银行的人说您的账户涉嫌犯罪、要求您把钱转到“安全账户”自证清白的，都是骗子。任何国家机关都不会通过电话要求转账办案。请挂断电话并拨打 110 核实。',
    },
  },
  {
    id: 'brushing_jobs',
    topic: 'scams',
    title: { en: '"Easy money" for fake orders', 'zh-CN': '刷单返利就是诈骗' },
    body: {
      en: 'Part-time jobs that pay you to place orders or "like" products (brushing) start with small commissions, then ask for larger advance payments that are never returned. Fake orders are also against the rules of every shop.',
      'zh-CN':
        '“动动手指就能赚钱”的刷单兼职，一开始会返还小额佣金，随后要求您垫付越来越多的钱，最终血本无归。刷单本身也违反平台规则。',
    },
  },
  {
    id: 'do_not_lend_account',
    topic: 'account',
    title: { en: 'Never rent out, lend or sell your account', 'zh-CN': '不要出租、出借或出售账户' },
    body: {
      en: 'People who pay you to "borrow" your wallet or bank account, or to receive and forward money, use it to move stolen money. The account holder is held responsible: accounts are frozen and holders can be prosecuted.',
      'zh-CN':
        '以报酬为诱饵“借用”您的钱包或银行卡，或让您代收代转资金的人，是在利用您的账户转移赃款。账户持有人要承担责任：账户会被冻结，还可能被追究法律责任。',
    },
  },
  {
    id: 'check_before_large_transfer',
    topic: 'payments',
    title: { en: 'Pause before a large or unusual transfer', 'zh-CN': '大额或异常转账前先停一停' },
    body: {
      en: 'Before sending a large amount, call the person on a number you already know (not one given in the chat) and confirm. Scammers create urgency; a real friend or business can wait ten minutes.',
      'zh-CN':
        '转出大额资金前，请用您原本就知道的号码（而不是聊天中给出的号码）打电话给对方确认。骗子总在制造紧迫感；真正的亲友或商家可以等十分钟。',
    },
  },
  {
    id: 'new_device_signin',
    topic: 'account',
    title: { en: 'A sign-in from a new device', 'zh-CN': '新设备登录提醒' },
    body: {
      en: 'If we tell you about a sign-in or a password or phone change you did not make, report a compromised account at once: outgoing payments are frozen while we help you take the account back.',
      'zh-CN':
        '如果您收到并非本人操作的登录、修改密码或更换手机号提醒，请立即报告账户被盗：我们会冻结对外支付，并协助您找回账户。',
    },
  },
  {
    id: 'screen_sharing',
    topic: 'scams',
    title: {
      en: 'Do not share your screen or install remote-control apps',
      'zh-CN': '不要共享屏幕或安装远程控制软件',
    },
    body: {
      en: 'Screen sharing in a video call, or apps that let someone "help" you remotely, show them your codes and let them pay from your phone. Only share your screen with people you know, and never while a payment app is open.',
      'zh-CN':
        '视频通话中的屏幕共享，或让他人远程“协助”您的软件，会让对方看到您的验证码并直接用您的手机付款。只与熟人共享屏幕，且绝不在打开支付应用时共享。',
    },
  },
  {
    id: 'card_safety',
    topic: 'payments',
    title: { en: 'Keep card details to yourself', 'zh-CN': '保管好银行卡信息' },
    body: {
      en: 'Card number, expiry date and security code together are enough to pay online. Enter them only in the official app or checkout page, and report a lost card to your bank at once.',
      'zh-CN':
        '卡号、有效期和安全码三者结合就能在网上付款。只在官方 App 或正规收银台中填写，银行卡丢失请立即联系银行挂失。',
    },
  },
  {
    id: 'limits_and_verification',
    topic: 'limits',
    title: { en: 'Why your limit stopped a payment', 'zh-CN': '为什么支付超出了限额' },
    body: {
      en: 'Limits depend on how far your identity is verified. Completing real-name verification raises them; a limit never means that you did anything wrong.',
      'zh-CN':
        '限额取决于您的实名认证等级，完成更高等级的实名认证即可提升限额。超出限额并不意味着您做错了什么。',
    },
  },
];

/**
 * The tips that explain each of the engine's reason codes (starter rules and limits).
 * A code without an entry gets no tip: a tip must fit what the user just saw.
 */
export const REASON_TIPS: Readonly<Record<string, readonly string[]>> = {
  ATO_NEW_DEVICE_WITHDRAWAL: ['new_device_signin', 'verification_codes', 'sim_swap'],
  ATO_CREDENTIALS_AND_PHONE_CHANGED: ['sim_swap', 'new_device_signin', 'safe_passwords'],
  PHISHING_NEW_PAYEE_NIGHT: ['online_romance_investment', 'phishing_links', 'check_before_large_transfer'],
  IMPERSONATION_YOUNG_PAYEE: ['impersonation_officials', 'fake_customer_service'],
  CARD_TESTING: ['card_safety', 'phishing_links'],
  MULE_MANY_PAYERS: ['online_romance_investment', 'check_before_large_transfer'],
  BRUSHING_SAME_AMOUNT: ['brushing_jobs'],
  AMOUNT_UNUSUAL_FOR_CUSTOMER: ['check_before_large_transfer', 'fake_customer_service'],
  LARGE_AMOUNT: ['check_before_large_transfer'],
  CREDENTIAL_STUFFING_IP: ['safe_passwords', 'verification_codes'],
  DEVICE_MANY_ACCOUNTS: ['do_not_lend_account'],
  SENSITIVE_CHANGE_NEW_DEVICE: ['verification_codes', 'sim_swap', 'screen_sharing'],
  MERCHANT_REFUND_RATE_HIGH: ['refund_scams'],
  MULE_FAST_OUTBOUND: ['do_not_lend_account'],
  STRUCTURING_BELOW_THRESHOLD: ['do_not_lend_account'],
  IMPOSSIBLE_TRAVEL: ['new_device_signin', 'safe_passwords', 'verification_codes'],
  TIER_SINGLE_LIMIT: ['limits_and_verification'],
  TIER_DAILY_LIMIT: ['limits_and_verification'],
  TIER_MONTHLY_LIMIT: ['limits_and_verification'],
  TIER_BALANCE_CAP: ['limits_and_verification'],
  TIER_CURRENCY_NOT_ALLOWED: ['limits_and_verification'],
};

/** At most this many tips go with one decision: more would not be read. */
const TIPS_PER_DECISION_MAX = 3;

const BY_ID: ReadonlyMap<string, Tip> = new Map(TIPS.map((t) => [t.id, t]));

export function tipById(id: string): Tip | undefined {
  return BY_ID.get(id);
}

/** The tips for a decision's reason codes, most relevant first, without repeats; unknown codes are skipped. */
export function tipsFor(reasonCodes: string[]): Tip[] {
  const out: Tip[] = [];
  const seen = new Set<string>();
  for (const code of reasonCodes) {
    for (const id of REASON_TIPS[code] ?? []) {
      const tip = BY_ID.get(id);
      if (!tip || seen.has(id)) continue;
      seen.add(id);
      out.push(tip);
      if (out.length === TIPS_PER_DECISION_MAX) return out;
    }
  }
  return out;
}

export const FAQ: readonly FaqItem[] = [
  {
    id: 'dispute_how',
    question: { en: 'How do I dispute a payment?', 'zh-CN': '如何对一笔交易提出争议？' },
    answer: {
      en: 'Open the transaction and choose "Dispute", or send its id to POST /v1/disputes with the reason: a payment you did not make, goods or service not received, a wrong amount, a duplicate payment or a refund not received. Describe what happened and add screenshots, receipts or chat records (PNG, JPEG, PDF or text, up to 5 MB each). One dispute per transaction, within 180 days.',
      'zh-CN':
        '打开该笔交易并选择“申请争议”，或调用 POST /v1/disputes 并提供交易编号和原因：非本人操作、未收到商品或服务、金额错误、重复支付、未收到退款。请描述经过并上传截图、收据或聊天记录（PNG、JPEG、PDF 或文本，每个不超过 5 MB）。每笔交易只能申请一次，须在 180 天内提出。',
    },
  },
  {
    id: 'dispute_time',
    question: { en: 'How long does a dispute take?', 'zh-CN': '争议处理需要多长时间？' },
    answer: {
      en: 'We decide within 7 days and tell you the outcome with its reason. If the merchant is involved we inform them, and an upheld payment dispute is refunded from the merchant to your wallet.',
      'zh-CN':
        '我们会在 7 天内作出决定，并告知您结果及原因。涉及商户的，我们会通知商户；支持您诉求的支付争议，款项将由商户退回您的钱包。',
    },
  },
  {
    id: 'provisional_credit',
    question: { en: 'What is a provisional credit?', 'zh-CN': '什么是临时垫付？' },
    answer: {
      en: 'While we look into a dispute of up to 2,000 CNY you can ask us to credit the amount to your wallet at once. If the dispute is not upheld, or the merchant refunds you, the provisional credit is taken back, so you are never paid twice.',
      'zh-CN':
        '对于 2,000 元以内的争议，您可以申请在处理期间先行垫付到钱包。如果争议未获支持或商户已退款，垫付款将被收回，您不会重复获得款项。',
    },
  },
  {
    id: 'report_scam',
    question: {
      en: 'I think I was scammed or my account was taken over. What do I do?',
      'zh-CN': '我可能被骗了或账户被盗了，怎么办？',
    },
    answer: {
      en: 'Report it at once (POST /v1/reports). We immediately freeze outgoing payments so no more money can leave, and a specialist handles your report with priority. Stop all contact with the other party, keep the evidence and report it to the police (110).',
      'zh-CN':
        '请立即报告（POST /v1/reports）。我们会立即冻结对外支付，防止资金继续转出，并由专人优先处理。请停止与对方的一切联系，保留证据并向公安机关报案（110）。',
    },
  },
  {
    id: 'unfreeze',
    question: { en: 'How is my account unfrozen?', 'zh-CN': '账户如何解冻？' },
    answer: {
      en: 'Contact customer service. After confirming it is you, one staff member asks for the unfreeze and a second one approves it: nobody can unfreeze an account alone.',
      'zh-CN':
        '请联系客服。核实是您本人后，由一名工作人员提交解冻申请，另一名工作人员复核批准：任何人都无法单独解冻账户。',
    },
  },
  {
    id: 'payment_held',
    question: { en: 'Why was my payment held for review?', 'zh-CN': '为什么我的付款需要审核？' },
    answer: {
      en: 'Some payments look like patterns used by scams, for example a large first transfer to a new account late at night. The money stays reserved in your wallet and a person reviews it, usually within 2 hours. You see the reason and what happens next with the payment.',
      'zh-CN':
        '部分交易与常见诈骗特征相似，例如深夜向新账户大额首次转账。资金会保留在您的钱包中，由专人审核，通常 2 小时内完成。您可以在交易详情中看到原因及后续处理。',
    },
  },
  {
    id: 'feedback_answer',
    question: { en: 'When will someone answer my feedback?', 'zh-CN': '我的反馈多久会得到回复？' },
    answer: {
      en: 'A person answers within 24 hours. If we are late, your feedback is escalated to a supervisor automatically. After it is closed you can rate how we helped.',
      'zh-CN':
        '我们会在 24 小时内由人工回复。如超时未回复，系统会自动升级给主管处理。反馈关闭后，您可以对处理结果进行评价。',
    },
  },
  {
    id: 'contact_channels',
    question: { en: 'How do you contact me?', 'zh-CN': '你们会通过什么方式联系我？' },
    answer: {
      en: 'Only through the app, and by phone or e-mail from our published contacts. We never ask for your password or a verification code, never ask you to transfer money, and never send links to "secure" your account.',
      'zh-CN':
        '我们只会通过 App 以及公布的官方电话、邮箱联系您。我们绝不会索要密码或验证码，绝不会要求您转账，也绝不会发送所谓“保护账户”的链接。',
    },
  },
  {
    id: 'refund_timing',
    question: { en: 'When does a merchant’s refund arrive?', 'zh-CN': '商户退款多久到账？' },
    answer: {
      en: 'A refund made by a merchant arrives in your wallet at once. If the merchant says it refunded you and you see nothing after a day, dispute the payment with the reason "refund not received".',
      'zh-CN':
        '商户发起的退款会立即退回您的钱包。如果商户称已退款但一天后仍未到账，请以“未收到退款”为由对该笔付款提出争议。',
    },
  },
];

export interface LocalTip {
  id: string;
  topic: TipTopic;
  title: string;
  body: string;
}

export function localTip(tip: Tip, lang: Lang): LocalTip {
  return { id: tip.id, topic: tip.topic, title: tip.title[lang], body: tip.body[lang] };
}

export function localFaq(item: FaqItem, lang: Lang): { id: string; question: string; answer: string } {
  return { id: item.id, question: item.question[lang], answer: item.answer[lang] };
}

/**
 * The language of a request: `?lang=` first, then the best Accept-Language tag we have
 * (any `zh` variant is answered in Simplified Chinese), English otherwise.
 */
export function languageOf(query: string | undefined, acceptLanguage: string | undefined): Lang {
  if (query === 'en' || query === 'zh-CN') return query;
  if (!acceptLanguage) return 'en';
  const tags = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const t of tags) {
    if (t.tag.startsWith('zh')) return 'zh-CN';
    if (t.tag.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Tips that go with a dispute of each reason (what to do so it does not happen again). */
const DISPUTE_TIPS: Readonly<Record<string, readonly string[]>> = {
  unauthorised: ['verification_codes', 'sim_swap', 'safe_passwords'],
  not_received: ['check_before_large_transfer', 'brushing_jobs'],
  wrong_amount: [],
  duplicate: [],
  refund_not_received: ['refund_scams', 'fake_customer_service'],
};

/** The tips shown with a dispute, in both languages. */
export function disputeTips(reason: string): Tip[] {
  return (DISPUTE_TIPS[reason] ?? []).flatMap((id) => {
    const tip = BY_ID.get(id);
    return tip ? [tip] : [];
  });
}
