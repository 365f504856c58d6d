/**
 * Masking for responses and logs: enough to recognise a value, not enough to use it.
 * Every function accepts any string and never returns more than it should.
 */

/** 13812345678 → 138****5678 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** 110101199003074477 → 1101**********4477 */
export function maskIdNumber(id: string): string {
  if (id.length < 8) return '****';
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

/** 6222020200112233445 → ****3445 */
export function maskAccountNumber(account: string): string {
  const digits = account.replace(/\D/g, '');
  return `****${digits.slice(-4)}`;
}

/** li.wei@example.com → l*****@example.com */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '****';
  return `${email[0]}*****${email.slice(at)}`;
}

/** 李伟 → 李*; Li Wei → L***** */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return `${chars[0]}${'*'.repeat(Math.max(1, chars.length - 1))}`;
}
