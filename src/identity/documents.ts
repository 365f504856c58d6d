/**
 * Identity documents accepted for real-name verification (实名制), validated before any
 * provider is asked. A failure names the rule that failed; nothing here logs the number.
 */

export type DocumentType =
  | 'CN_RESIDENT_ID'
  | 'PASSPORT'
  | 'HK_MACAU_PERMIT'
  | 'TAIWAN_PERMIT'
  | 'FOREIGN_PERMANENT_ID';

export type DocumentCheck =
  | { ok: true; normalised: string; birthDate?: string; sex?: 'F' | 'M' }
  | { ok: false; reason: 'FORMAT' | 'CHECK_DIGIT' | 'BIRTH_DATE' | 'REGION' };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/**
 * The check character of a mainland resident ID (GB 11643-1999, ISO 7064 MOD 11-2)
 * from its first 17 digits.
 */
export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS[sum % 11] ?? '?';
}

/**
 * 18 characters: 6-digit region code, birth date YYYYMMDD, 3-digit sequence (odd for
 * men, even for women), check character 0–9 or X. The birth date must be a real day,
 * not in the future and not before 1900.
 */
export function checkResidentId(raw: string, today: Date = new Date()): DocumentCheck {
  const id = raw.trim().toUpperCase();
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return { ok: false, reason: 'FORMAT' };
  const province = Number(id.slice(0, 2));
  if (province < 11 || province > 91) return { ok: false, reason: 'REGION' };
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (
    y < 1900 ||
    birth.getUTCFullYear() !== y ||
    birth.getUTCMonth() !== m - 1 ||
    birth.getUTCDate() !== d ||
    birth.getTime() > today.getTime()
  ) {
    return { ok: false, reason: 'BIRTH_DATE' };
  }
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]) return { ok: false, reason: 'CHECK_DIGIT' };
  return {
    ok: true,
    normalised: id,
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: Number(id[16]) % 2 === 1 ? 'M' : 'F',
  };
}

const PATTERNS: Record<Exclude<DocumentType, 'CN_RESIDENT_ID'>, RegExp> = {
  // Machine-readable passports: 6–9 letters and digits.
  PASSPORT: /^[A-Z0-9]{6,9}$/,
  // 港澳居民来往内地通行证: H or M followed by 8 (older) or 10 digits.
  HK_MACAU_PERMIT: /^[HM]\d{8}(\d{2})?$/,
  // 台湾居民来往大陆通行证: 8 digits.
  TAIWAN_PERMIT: /^\d{8}$/,
  // 外国人永久居留身份证 (2017 format): 3 letters and 12 digits, or the 2023 format of 18 characters starting with 9.
  FOREIGN_PERMANENT_ID: /^([A-Z]{3}\d{12}|9\d{16}[\dX])$/,
};

export function checkDocument(type: DocumentType, raw: string, today: Date = new Date()): DocumentCheck {
  if (type === 'CN_RESIDENT_ID') return checkResidentId(raw, today);
  const normalised = raw.trim().toUpperCase().replace(/\s/g, '');
  return PATTERNS[type].test(normalised) ? { ok: true, normalised } : { ok: false, reason: 'FORMAT' };
}
