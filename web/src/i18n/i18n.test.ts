// The console's languages: Chinese has every English message with the same placeholders, every API error code has a message in both, and failures read as sentences with the wait in the user's language.
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../src/platform/errors.ts';
import { ApiError, CLIENT_ERROR_CODES } from '../api/errors.ts';
import { en, enErrors } from './en.ts';
import { interpolate, makeI18n } from './index.tsx';
import { zhCN, zhCNErrors } from './zh-CN.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  it('gives every English message a Chinese one with the same placeholders', () => {
    for (const [key, text] of Object.entries(en)) {
      const zh = zhCN[key as keyof typeof en];
      expect(zh, key).toBeTruthy();
      expect(placeholders(zh), key).toEqual(placeholders(text));
    }
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('has a message for every error code of the catalogue and of the console, in both languages', () => {
    for (const code of [...Object.keys(ERRORS), ...CLIENT_ERROR_CODES]) {
      expect(enErrors[code as keyof typeof enErrors], code).toBeTruthy();
      expect(zhCNErrors[code as keyof typeof zhCNErrors], code).toBeTruthy();
    }
  });
});

describe('messages', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(interpolate('Page {page} of {pages}', { page: 2 })).toBe('Page 2 of {pages}');
  });

  it('maps sign-in failures to sentences, with the wait when locked', () => {
    const enI18n = makeI18n('en');
    const zh = makeI18n('zh-CN');
    const wrong = new ApiError('AUTH_INVALID_CREDENTIALS', 401, 'The sign-in details are not correct.');
    expect(enI18n.errorText(wrong)).toBe('The e-mail, password or authenticator code is not correct.');
    expect(zh.errorText(wrong)).toBe('电子邮箱、密码或验证器动态码不正确。');
    const locked = new ApiError(
      'AUTH_TOO_MANY_ATTEMPTS',
      429,
      'Too many failed attempts; try again in 900 s.',
      900,
    );
    expect(enI18n.errorText(locked)).toBe('Too many failed attempts. Try again in 15 minutes.');
    expect(zh.errorText(locked)).toBe(`失败次数过多。请在 ${zh.duration(900)}后重试。`);
    expect(enI18n.errorText(new ApiError('AUTH_TOO_MANY_ATTEMPTS', 429, '', 1))).toBe(
      'Too many failed attempts. Try again in 1 second.',
    );
  });

  it('never shows a raw error: anything unknown is one sentence, with the server code when there is one', () => {
    const i18n = makeI18n('en');
    expect(i18n.errorText(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(
      'The server answered something the console did not expect.',
    );
    expect(i18n.errorText(new ApiError('UNEXPECTED', 409, 'x', null, 'CASE_LOCKED'))).toBe(
      'The server answered something the console did not expect. (CASE_LOCKED)',
    );
  });

  it('formats numbers, money and missing values per locale', () => {
    const zh = makeI18n('zh-CN');
    expect(zh.money('123450', 'CNY')).toBe('¥1,234.50');
    expect(zh.number('12345678901234567890')).toBe('12,345,678,901,234,567,890');
    expect(zh.dateTime(null)).toBe('—');
    expect(zh.dateTime('not a date')).toBe('—');
    expect(makeI18n('en').percent(0.25)).toBe('25%');
  });
});
