/**
 * Small text helpers shared by the loaders: whitespace as the lists write it (line breaks
 * inside names and comments, non-breaking spaces, stray padding) reduced to single spaces,
 * and the script a name is written in.
 */

/** Collapses every run of white space (line breaks and NBSP included) to one space and trims. */
export function cleanText(value: string): string {
  return value.replace(/[\s\u00a0\u200b\ufeff]+/g, ' ').trim();
}

/** Splits a `;`-separated cell into its cleaned, non-empty parts. */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  for (const part of value.split(';')) {
    const clean = cleanText(part);
    if (clean !== '') parts.push(clean);
  }
  return parts;
}

/** ISO 15924 codes of the scripts names on the lists are written in. */
const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latn', /\p{Script=Latin}/u],
  ['Arab', /\p{Script=Arabic}/u],
  ['Cyrl', /\p{Script=Cyrillic}/u],
  ['Hani', /\p{Script=Han}/u],
  ['Hang', /\p{Script=Hangul}/u],
  ['Hira', /\p{Script=Hiragana}/u],
  ['Kana', /\p{Script=Katakana}/u],
  ['Grek', /\p{Script=Greek}/u],
  ['Hebr', /\p{Script=Hebrew}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Deva', /\p{Script=Devanagari}/u],
  ['Ethi', /\p{Script=Ethiopic}/u],
  ['Geor', /\p{Script=Georgian}/u],
  ['Armn', /\p{Script=Armenian}/u],
  ['Mymr', /\p{Script=Myanmar}/u],
  ['Khmr', /\p{Script=Khmer}/u],
];
const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;
const ASCII_LETTER = /[A-Za-z]/;

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * The script most of the letters of `value` are in, or undefined when it has no letters or
 * only letters of scripts not listed above. ASCII text, the common case, is answered
 * without looking at each character.
 */
export function scriptOf(value: string): string | undefined {
  if (isAscii(value)) return ASCII_LETTER.test(value) ? 'Latn' : undefined;
  const counts = new Map<string, number>();
  for (const ch of value) {
    if (ch.charCodeAt(0) < 0x80) {
      if (ASCII_LETTER.test(ch)) counts.set('Latn', (counts.get('Latn') ?? 0) + 1);
      continue;
    }
    if (!LETTER.test(ch)) continue;
    for (const [code, pattern] of SCRIPTS) {
      if (pattern.test(ch)) {
        counts.set(code, (counts.get(code) ?? 0) + 1);
        break;
      }
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [code, count] of counts) {
    if (count > bestCount) {
      best = code;
      bestCount = count;
    }
  }
  return best;
}

/** True when the text has at least one letter and none of them is Latin. */
export function isNonLatin(value: string): boolean {
  let letters = 0;
  for (const ch of value) {
    if (!LETTER.test(ch)) continue;
    if (LATIN.test(ch)) return false;
    letters++;
  }
  return letters > 0;
}
