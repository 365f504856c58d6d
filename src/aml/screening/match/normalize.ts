/**
 * Name normalisation for screening: one function turns a name as written in any script
 * into lower-case Latin tokens the matcher compares, each remembering the words it came
 * from and their script so a hit can say "Путин → putin".
 *
 * Steps, in order:
 *  1. NFKC (full-width and compatibility forms become ordinary letters);
 *  2. words split on white space, punctuation and symbols; dotted abbreviations that
 *     spell a legal form ("S.A.", "L.L.C.") are read as one word, other dotted letters as
 *     initials ("J.R. Smith" → j, r, smith); apostrophes join ("O'Brien" → obrien);
 *  3. Chinese characters (Han) become pinyin without tones (pinyin-pro, surnames read as
 *     surnames): a personal name of two to four characters gives the surname and the given
 *     name joined ("习近平" → xi, jinping; the matcher also accepts "Xi Jin Ping"), longer
 *     runs give one token per syllable; legal-form and honorific suffixes are cut first;
 *  4. Latin letters lose their accents (NFKD, combining marks removed); every other script
 *     goes through any-ascii (Cyrillic "Владимир" → vladimir; Arabic is written without
 *     short vowels, "أسامة" → sm, so the matcher also compares such tokens by consonant
 *     skeleton with Latin spellings: "osama" → sm);
 *  5. case folding, and everything outside a–z and 0–9 removed;
 *  6. words that do not identify anyone are dropped and reported (see the lists below):
 *     honorifics and generational suffixes anywhere, legal forms at the start or end of a
 *     name that is not an individual's, and a few stop words inside organisation names.
 *     A name is never reduced to nothing: if every word would go, all are kept.
 *
 * Known limits: Japanese kanji are read as Chinese (pinyin), Hebrew goes through any-ascii
 * without a skeleton, and Chinese renderings of foreign names ("普京") stay pinyin (pu jing).
 */
import anyAscii from 'any-ascii';
import { pinyin } from 'pinyin-pro';
import type { EntityType } from '../types.ts';

/** Script of the word a token came from, as ISO 15924 codes (the list loaders use the same). */
export type TokenScript = 'Latn' | 'Hani' | 'Cyrl' | 'Arab' | 'Grek' | 'Hang' | 'Kana' | 'Hebr' | 'Zyyy';

export interface NameToken {
  /** Lower-case ASCII letters and digits: what is compared. */
  text: string;
  /** The word(s) of the input it came from, as written. */
  source: string;
  script: TokenScript;
  /** How much it counts in a name's score: 1, less for particles and initials. */
  weight: number;
}

export type DropReason = 'honorific' | 'suffix' | 'legal_form' | 'stop_word';

export interface DroppedWord {
  word: string;
  reason: DropReason;
}

export interface NormalizedName {
  tokens: NameToken[];
  dropped: DroppedWord[];
}

export interface NormalizeOptions {
  /** An individual's name keeps words that look like legal forms ("Sa", "Co" are names too). */
  type?: EntityType;
}

/** Honorifics and titles, dropped wherever they stand. */
export const HONORIFICS: ReadonlySet<string> = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'sir',
  'dame',
  'lord',
  'lady',
  'rev',
  'hon',
  'sheikh',
  'shaikh',
  'sheik',
  'haji',
  'hajji',
  'mullah',
  'mawlawi',
  'maulvi',
  'gen',
  'col',
]);

/** Generational suffixes, dropped wherever they stand. */
export const SUFFIXES: ReadonlySet<string> = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);

/** Legal forms, dropped from the end of a name that is not an individual's. */
export const LEGAL_FORMS: ReadonlySet<string> = new Set([
  'ltd',
  'limited',
  'co',
  'company',
  'corp',
  'corporation',
  'inc',
  'incorporated',
  'llc',
  'llp',
  'lp',
  'plc',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'gmbh',
  'ag',
  'kg',
  'bv',
  'nv',
  'oy',
  'ab',
  'as',
  'asa',
  'pte',
  'pty',
  'pvt',
  'sdn',
  'bhd',
  'jsc',
  'pjsc',
  'ojsc',
  'cjsc',
  'ooo',
  'oao',
  'zao',
  'pao',
  'ao',
  'tov',
  'fze',
  'fzco',
  'fzc',
  'kk',
  'group',
]);

/** Legal forms that precede the name in their languages (ООО "Ромашка", PT Bank ...), dropped from the start. */
export const LEADING_LEGAL_FORMS: ReadonlySet<string> = new Set([
  'ooo',
  'oao',
  'zao',
  'pao',
  'ao',
  'jsc',
  'pjsc',
  'ojsc',
  'cjsc',
  'tov',
  'pt',
  'cv',
]);

/** Words that carry nothing inside an organisation's name. */
export const STOP_WORDS: ReadonlySet<string> = new Set(['the', 'of', 'and', 'und', 'et', 'for']);

/** Chinese legal-form and honorific endings, longest first, cut from the end of a Han run (repeatedly). */
export const CHINESE_SUFFIXES: ReadonlyArray<{ text: string; reason: DropReason }> = [
  { text: '股份有限公司', reason: 'legal_form' },
  { text: '有限责任公司', reason: 'legal_form' },
  { text: '有限公司', reason: 'legal_form' },
  { text: '有限責任公司', reason: 'legal_form' },
  { text: '股份公司', reason: 'legal_form' },
  { text: '集团', reason: 'legal_form' },
  { text: '集團', reason: 'legal_form' },
  { text: '公司', reason: 'legal_form' },
  { text: '先生', reason: 'honorific' },
  { text: '女士', reason: 'honorific' },
  { text: '小姐', reason: 'honorific' },
];

/** Particles of Arabic, Dutch, German, Romance names: kept, but they say little about who it is. */
export const PARTICLES: ReadonlySet<string> = new Set([
  'al',
  'el',
  'bin',
  'ibn',
  'bint',
  // The same particles transliterated from Arabic script (بن, بنت, أبو), vowels unwritten.
  'bn',
  'bnt',
  'bw',
  'ben',
  'abu',
  'ould',
  'van',
  'von',
  'der',
  'den',
  'de',
  'da',
  'di',
  'du',
  'del',
  'della',
  'dos',
  'das',
  'la',
  'le',
]);

export const PARTICLE_WEIGHT = 0.3;
export const INITIAL_WEIGHT = 0.5;
/** A name longer than this is cut: list entries and customer names are never legitimately longer. */
export const MAX_TOKENS = 16;
const MAX_TOKEN_CHARS = 40;
const MAX_INPUT_CHARS = 512;

/** Two-character Chinese surnames: the given name starts after them. */
const COMPOUND_SURNAMES: ReadonlySet<string> = new Set([
  '欧阳',
  '司马',
  '诸葛',
  '上官',
  '东方',
  '皇甫',
  '尉迟',
  '公孙',
  '慕容',
  '长孙',
  '夏侯',
  '令狐',
  '宇文',
  '司徒',
  '澹台',
  '端木',
  '南宫',
  '呼延',
  '独孤',
  '轩辕',
  '钟离',
]);

const HAN = /\p{Script=Han}/u;
const HAN_RUN = /\p{Script=Han}+/gu;
const ABJAD_SCRIPTS: ReadonlySet<TokenScript> = new Set(['Arab']);
const SCRIPT_TESTS: ReadonlyArray<[TokenScript, RegExp]> = [
  ['Hani', HAN],
  ['Cyrl', /\p{Script=Cyrillic}/u],
  ['Arab', /\p{Script=Arabic}/u],
  ['Grek', /\p{Script=Greek}/u],
  ['Hang', /\p{Script=Hangul}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hebr', /\p{Script=Hebrew}/u],
  ['Latn', /\p{Script=Latin}/u],
];
const SEPARATORS = /[\s\p{P}\p{S}]+/u;
const APOSTROPHES = /['’ʼ`´‘]/gu;
const DOTTED_LETTERS = /(?<![\p{L}\p{N}])(?:\p{L}\.){2,}(?![\p{L}\p{N}])/gu;
const MARKS = /\p{M}/gu;
/**
 * ة ends many Arabic names and is read "a" or "ah" (Osama, Usamah); any-ascii writes it
 * "h", which would collide with the consonant ذ (dh). It is dropped before transliteration.
 */
const TA_MARBUTA = /\u0629/g;
const NOT_ALNUM = /[^a-z0-9]+/;
const NOT_ALNUM_ALL = /[^a-z0-9]/g;
/** any-ascii writes hamza and ayn as apostrophes; inside a word they join, never split. */
const TRANSLITERATED_APOSTROPHES = /['`]/g;

interface RawToken {
  text: string;
  source: string;
  script: TokenScript;
}

/** Normalises one name into tokens, and reports the words it dropped and why. */
export function normalizeName(name: string, options: NormalizeOptions = {}): NormalizedName {
  const dropped: DroppedWord[] = [];
  const individual = options.type === 'individual';
  const text = joinDottedLegalForms(
    name.slice(0, MAX_INPUT_CHARS).normalize('NFKC').replace(APOSTROPHES, ''),
  );
  const raw: RawToken[] = [];
  for (const word of text.split(SEPARATORS)) {
    if (word.length === 0) continue;
    if (HAN.test(word)) raw.push(...hanTokens(word, options.type, dropped));
    else raw.push(...latinTokens(word));
  }
  const kept = dropWords(raw, individual, dropped);
  const tokens = kept.slice(0, MAX_TOKENS).map(finishToken);
  return { tokens, dropped };
}

/** "S.A." → "SA" when it spells a legal form; other dotted letters stay apart as initials. */
function joinDottedLegalForms(text: string): string {
  return text.replace(DOTTED_LETTERS, (m) => {
    const joined = m.replace(/\./g, '');
    return LEGAL_FORMS.has(foldLatin(joined)) ? ` ${joined} ` : m.replace(/\./g, ' ');
  });
}

function scriptOf(word: string): TokenScript {
  for (const [script, test] of SCRIPT_TESTS) if (test.test(word)) return script;
  return 'Zyyy';
}

/** Accents off, everything else to ASCII, lower case, only letters and digits. */
function foldLatin(word: string): string {
  return anyAscii(word.normalize('NFKD').replace(MARKS, '')).toLowerCase();
}

function latinTokens(word: string): RawToken[] {
  const script = scriptOf(word);
  // any-ascii on an accent-stripped word handles the Latin letters NFKD leaves (ø, ł, ß, æ)
  // as well as the other scripts; it may write one word as several (Hangul syllables).
  const folded =
    script === 'Latn' || script === 'Zyyy'
      ? foldLatin(word)
      : anyAscii(script === 'Arab' ? word.replace(TA_MARBUTA, '') : word).toLowerCase();
  return folded
    .replace(TRANSLITERATED_APOSTROPHES, '')
    .split(NOT_ALNUM)
    .filter((t) => t.length > 0)
    .map((t) => ({ text: t.slice(0, MAX_TOKEN_CHARS), source: word, script }));
}

/** Han runs to pinyin; Latin letters mixed into the same word are read as Latin. */
function hanTokens(word: string, type: EntityType | undefined, dropped: DroppedWord[]): RawToken[] {
  const out: RawToken[] = [];
  let last = 0;
  for (const m of word.matchAll(HAN_RUN)) {
    const start = m.index ?? 0;
    if (start > last) out.push(...latinTokens(word.slice(last, start)));
    out.push(...pinyinTokens(m[0], type, dropped));
    last = start + m[0].length;
  }
  if (last < word.length) out.push(...latinTokens(word.slice(last)));
  return out;
}

function pinyinTokens(run: string, type: EntityType | undefined, dropped: DroppedWord[]): RawToken[] {
  let rest = run;
  let cut = true;
  let legal = false;
  while (cut) {
    cut = false;
    for (const suffix of CHINESE_SUFFIXES) {
      if (rest.length > suffix.text.length && rest.endsWith(suffix.text)) {
        // A personal name ending in 公司 is not a thing; a company keeps no 先生.
        if (suffix.reason === 'legal_form' && type === 'individual') continue;
        rest = rest.slice(0, -suffix.text.length);
        dropped.push({ word: suffix.text, reason: suffix.reason });
        if (suffix.reason === 'legal_form') legal = true;
        cut = true;
        break;
      }
    }
  }
  const chars = Array.from(rest);
  const syllables = pinyin(rest, { toneType: 'none', type: 'array', surname: 'head' });
  const tokenOf = (from: number, to: number): RawToken => ({
    text: foldLatin(syllables.slice(from, to).join('')).replace(NOT_ALNUM_ALL, ''),
    source: chars.slice(from, to).join(''),
    script: 'Hani',
  });
  if (syllables.length !== chars.length) {
    // pinyin-pro gives one syllable per character; if it ever does not, fall back to one token.
    return [{ text: foldLatin(syllables.join('')).replace(NOT_ALNUM_ALL, ''), source: rest, script: 'Hani' }];
  }
  const personal = !legal && type !== 'entity' && chars.length >= 2 && chars.length <= 4;
  if (personal) {
    const surnameChars = chars.length >= 3 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
    return [tokenOf(0, surnameChars), tokenOf(surnameChars, chars.length)];
  }
  return chars.map((_, i) => tokenOf(i, i + 1));
}

function dropWords(raw: RawToken[], individual: boolean, dropped: DroppedWord[]): RawToken[] {
  const reasonOf = (t: RawToken, i: number, leadingRun: boolean, trailingRun: boolean): DropReason | null => {
    if (HONORIFICS.has(t.text)) return 'honorific';
    if (SUFFIXES.has(t.text) && i > 0) return 'suffix';
    if (individual) return null;
    if (trailingRun && LEGAL_FORMS.has(t.text)) return 'legal_form';
    if (leadingRun && LEADING_LEGAL_FORMS.has(t.text)) return 'legal_form';
    if (STOP_WORDS.has(t.text)) return 'stop_word';
    return null;
  };
  // Legal forms are dropped only in the leading and trailing runs of such words
  // ("Co" inside "Atlantic Co Trading" stays): find how far those runs reach.
  let lead = 0;
  while (lead < raw.length && isLegalOrNoise(raw[lead], LEADING_LEGAL_FORMS)) lead++;
  let trail = raw.length;
  while (trail > 0 && isLegalOrNoise(raw[trail - 1], LEGAL_FORMS)) trail--;
  const kept: RawToken[] = [];
  const reasons: Array<DropReason | null> = raw.map((t, i) => reasonOf(t, i, i < lead, i >= trail));
  raw.forEach((t, i) => {
    if (reasons[i] === null) kept.push(t);
  });
  if (kept.length === 0) return raw;
  raw.forEach((t, i) => {
    const reason = reasons[i];
    if (reason) dropped.push({ word: t.source, reason });
  });
  return kept;
}

function isLegalOrNoise(t: RawToken | undefined, forms: ReadonlySet<string>): boolean {
  if (!t) return false;
  return forms.has(t.text) || HONORIFICS.has(t.text) || STOP_WORDS.has(t.text);
}

function finishToken(t: RawToken): NameToken {
  const weight = t.text.length === 1 ? INITIAL_WEIGHT : PARTICLES.has(t.text) ? PARTICLE_WEIGHT : 1;
  return { text: t.text, source: t.source, script: t.script, weight };
}

/** Scripts written without short vowels: their tokens are also compared by consonant skeleton. */
export function isAbjad(script: TokenScript): boolean {
  return ABJAD_SCRIPTS.has(script);
}

/**
 * The consonants of a romanised word, the way an abjad writes it: vowels gone, y and w
 * gone except at the start (they write long vowels: حسين → hsyn, Hussein → hsn), doubled
 * letters collapsed, a final h after a plain consonant gone (Usamah → sm, like أسامة).
 */
export function consonantSkeleton(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if ('aeiou'.includes(ch)) continue;
    if ((ch === 'y' || ch === 'w') && i > 0) continue;
    if (out.endsWith(ch)) continue;
    out += ch;
  }
  if (out.length > 1 && out.endsWith('h') && !'sckgdtz'.includes(out[out.length - 2] ?? '')) {
    out = out.slice(0, -1);
  }
  return out;
}
