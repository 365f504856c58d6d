import { AppError } from '../platform/errors.ts';

/**
 * Login names: a mobile phone number or an e-mail address, each with one canonical
 * spelling so that blind indexes and rate limits cannot be dodged with formatting.
 */

/** Mainland mobile numbers (11 digits from 13–19, optional +86) or E.164 numbers elsewhere. */
export function normalisePhone(raw: string): string {
  const compact = raw.trim().replace(/[\s().-]/g, '');
  if (compact.length > 20) throw new AppError('IDENTITY_PHONE_INVALID', 'The phone number is too long.');
  const mainland = /^(?:\+?86)?(1[3-9]\d{9})$/.exec(compact);
  if (mainland?.[1]) return `+86${mainland[1]}`;
  if (/^\+[1-9]\d{7,14}$/.test(compact)) return compact;
  throw new AppError(
    'IDENTITY_PHONE_INVALID',
    'Use a mainland mobile number (11 digits) or an international number starting with +.',
  );
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normaliseEmail(raw: string): string {
  const trimmed = raw.trim().toLowerCase();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) {
    throw new AppError('IDENTITY_EMAIL_INVALID', 'The e-mail address is not valid.');
  }
  return trimmed;
}

/** A login given as either: e-mail when it has an @, phone otherwise. */
export function normaliseLogin(raw: string): { kind: 'phone' | 'email'; value: string } {
  return raw.includes('@')
    ? { kind: 'email', value: normaliseEmail(raw) }
    : { kind: 'phone', value: normalisePhone(raw) };
}

/** The phone's national form for display and masking: +8613812345678 → 13812345678. */
export function nationalPhone(phone: string): string {
  return phone.startsWith('+86') ? phone.slice(3) : phone;
}
