import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, type ConsoleErrorCode } from '../api/errors.ts';
import { formatMoney } from '../format/money.ts';
import { en, enErrors, type MessageKey } from './en.ts';
import { zhCN, zhCNErrors } from './zh-CN.ts';

/**
 * The console's languages. Every string on screen comes from a dictionary typed by the
 * English one, so a key missing in Chinese fails the type check; numbers, dates and money
 * are formatted by Intl for the chosen locale.
 */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const DICTIONARIES: Record<
  Locale,
  { messages: Record<MessageKey, string>; errors: Record<ConsoleErrorCode, string> }
> = {
  en: { messages: en, errors: enErrors },
  'zh-CN': { messages: zhCN, errors: zhCNErrors },
};

export const LOCALE_STORAGE_KEY = 'bulwark.console.locale';

export type Params = Record<string, string | number>;

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, params?: Params): string;
  /** The localized message for any failure (never a stack trace or a raw server text). */
  errorText(err: unknown): string;
  money(minor: string | null | undefined, currency: string): string;
  number(value: number | bigint | string | null | undefined): string;
  percent(ratio: number | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
  time(iso: string | null | undefined): string;
  /** "in 15 minutes" style waits, from seconds. */
  duration(seconds: number): string;
}

export function interpolate(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export function isLocale(value: string | null): value is Locale {
  return value !== null && (LOCALES as readonly string[]).includes(value);
}

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(LOCALE_STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    // Storage may be off; fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** The I18n of a locale; pure, so it can be used outside React too. */
export function makeI18n(locale: Locale, setLocale: (l: Locale) => void = () => undefined): I18n {
  const dict = DICTIONARIES[locale];
  const numberFmt = new Intl.NumberFormat(locale);
  const percentFmt = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const timeFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const t = (key: MessageKey, params?: Params) => interpolate(dict.messages[key], params);
  const duration = (seconds: number) => {
    const s = Math.max(1, Math.ceil(seconds));
    const [value, unit] =
      s >= 3600 ? [Math.ceil(s / 3600), 'hour'] : s >= 60 ? [Math.ceil(s / 60), 'minute'] : [s, 'second'];
    return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
  };
  const safeDate = (fmt: Intl.DateTimeFormat, iso: string | null | undefined) => {
    if (!iso) return '—';
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? '—' : fmt.format(ms);
  };
  return {
    locale,
    setLocale,
    t,
    errorText(err) {
      if (!(err instanceof ApiError)) return dict.errors.UNEXPECTED;
      const base = dict.errors[err.code];
      if (
        err.retryAfterS !== null &&
        (err.code === 'AUTH_TOO_MANY_ATTEMPTS' ||
          err.code === 'RATE_LIMITED' ||
          err.code === 'AUTH_OTP_RATE_LIMITED')
      ) {
        return t('error.withWait', { message: base, wait: duration(err.retryAfterS) });
      }
      if (err.code === 'UNEXPECTED' && err.serverCode) return `${base} (${err.serverCode})`;
      return base;
    },
    money: (minor, currency) => formatMoney(minor, currency, locale),
    number(value) {
      if (value === null || value === undefined) return '—';
      if (typeof value === 'string') {
        return /^-?[0-9]{1,30}$/.test(value) ? numberFmt.format(BigInt(value)) : '—';
      }
      return numberFmt.format(value);
    },
    percent: (ratio) =>
      ratio === null || ratio === undefined || !Number.isFinite(ratio) ? '—' : percentFmt.format(ratio),
    dateTime: (iso) => safeDate(dateFmt, iso),
    time: (iso) => safeDate(timeFmt, iso),
    duration,
  };
}

const I18nContext = createContext<I18n>(makeI18n('en'));

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, l);
    } catch {
      // Not remembered across reloads when storage is off; the switch still applies.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo(() => makeI18n(locale, setLocale), [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
