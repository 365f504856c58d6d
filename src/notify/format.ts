import { type Currency, formatMinor, isCurrency } from '../platform/money.ts';

/** The languages notifications are written in; every text is stored in both. */
export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];

const CURRENCY_ZH: Record<Currency, string> = {
  CNY: '人民币',
  USD: '美元',
  EUR: '欧元',
  HKD: '港币',
  JPY: '日元',
  GBP: '英镑',
  SGD: '新加坡元',
};

const MINOR_PATTERN = /^-?[0-9]{1,19}$/;

/** Thousands separators on a decimal string, by string operations only. */
function grouped(decimal: string): string {
  const negative = decimal.startsWith('-');
  const digits = negative ? decimal.slice(1) : decimal;
  const dot = digits.indexOf('.');
  const whole = dot === -1 ? digits : digits.slice(0, dot);
  const fraction = dot === -1 ? '' : digits.slice(dot);
  return `${negative ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/**
 * An amount of minor units (an integer string) for people: `CNY 1,234.50` in English,
 * `人民币 1,234.50` in Chinese. The currency's exponent places the point; there is no
 * float anywhere on the way.
 */
export function formatMoney(amountMinor: string, currency: string, lang: Lang): string {
  if (!MINOR_PATTERN.test(amountMinor))
    throw new RangeError('amount is not an integer string of minor units');
  if (!isCurrency(currency)) throw new RangeError('currency is not supported');
  const text = grouped(formatMinor(BigInt(amountMinor), currency));
  return lang === 'en' ? `${currency} ${text}` : `${CURRENCY_ZH[currency]} ${text}`;
}

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** A moment for people: UTC in English, Beijing time in Chinese, to the minute. */
export function formatTime(at: Date, lang: Lang): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('invalid time');
  if (lang === 'en') return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const local = new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString();
  return `${local.slice(0, 16).replace('T', ' ')}（北京时间）`;
}

/**
 * The language of a request from its Accept-Language header: Chinese when the most
 * preferred language the client names is Chinese, English otherwise (and by default).
 */
export function langOf(acceptLanguage: string | string[] | undefined): Lang {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage;
  if (!header) return 'en';
  let best: { tag: string; q: number } | undefined;
  for (const part of header.split(',').slice(0, 20)) {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = (rawTag ?? '').trim().toLowerCase();
    if (tag === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p);
      if (m?.[1]) q = Number(m[1]);
    }
    if (q > 0 && (best === undefined || q > best.q)) best = { tag, q };
  }
  return best && (best.tag === 'zh' || best.tag.startsWith('zh-')) ? 'zh-CN' : 'en';
}
