/**
 * How one token of a query compares with one token of a list name, and why: the verdict
 * an analyst reads in a hit's explanation. Equal spellings are exact (or transliterated when
 * they came from different scripts); otherwise an initial, a shared phonetic key backed by
 * a fair Jaro-Winkler, a close Jaro-Winkler, or, for Arabic-script words, the same
 * consonant skeleton.
 */
import { doubleMetaphone } from 'double-metaphone';
import { consonantSkeleton, type NameToken, type TokenScript } from './normalize.ts';
import { jaroWinkler } from './similarity.ts';

export type MatchHow = 'exact' | 'transliterated' | 'initial' | 'phonetic' | 'fuzzy';

/** A token ready for comparison: its phonetic keys and skeleton computed once. */
export interface ComparableToken {
  text: string;
  script: TokenScript;
  /** Double-metaphone primary and alternate keys (distinct, non-empty); none for initials and digits. */
  phonetic: readonly string[];
  /** Consonant skeleton of the token; compared only when one side came from an abjad (Arabic). */
  skeleton: string;
  abjad: boolean;
}

export interface TokenComparison {
  how: MatchHow;
  /** What the pair contributes, 0–1. */
  similarity: number;
  /** Jaro-Winkler of the two spellings, for the explanation (1 when equal). */
  jaroWinkler: number;
}

/** The contribution of each kind of match. Exact and transliterated equality count fully. */
export const INITIAL_SIMILARITY = 0.85;
export const PHONETIC_SIMILARITY = 0.9;
/** The same consonant skeleton of three letters or more ("ldn": لادن, Laden). */
export const SKELETON_SIMILARITY = 0.9;
/** Two-letter skeletons are shared by many names ("sm": Osama, Sami, Asma). */
export const SHORT_SKELETON_SIMILARITY = 0.85;
/**
 * A phonetic key alone is too coarse (Putin, Patton and Baden share PTN; "junhai" and
 * "jun" share JN): the length-adjusted Jaro-Winkler of the spellings must be this high too.
 */
export const PHONETIC_MIN_SIMILARITY = 0.75;
/** Double metaphone ignores vowels, which is what tells short names apart (Yan, Yun; Li, Lu). */
export const PHONETIC_MIN_LENGTH = 4;
/** A fuzzy match needs this much length-adjusted Jaro-Winkler: about one typo in a name of six letters. */
export const FUZZY_MIN_SIMILARITY = 0.9;
const FUZZY_MIN_LENGTH = 3;
/**
 * One edit in a word this long is a typo even where Jaro-Winkler disagrees (an early
 * letter replaced: "anman", "ayman" 0.88). Shorter words one edit apart are often other
 * names (Yan, Yun; Ding, Dong).
 */
export const ONE_EDIT_MIN_LENGTHS = { shorter: 4, longer: 5 } as const;
const LATIN_LIKE: ReadonlySet<TokenScript> = new Set(['Latn', 'Zyyy']);
const LETTER = /^[a-z]$/;

/** Prepares a token for comparison. */
export function comparable(token: Pick<NameToken, 'text' | 'script'>, abjad: boolean): ComparableToken {
  return {
    text: token.text,
    script: token.script,
    phonetic: phoneticKeys(token.text),
    skeleton: consonantSkeleton(token.text),
    abjad,
  };
}

/** Distinct double-metaphone keys of a token; none for initials and digits. */
export function phoneticKeys(text: string): string[] {
  if (text.length < 2 || !/[a-z]/.test(text)) return [];
  const [primary, alternate] = doubleMetaphone(text);
  const keys: string[] = [];
  if (primary) keys.push(primary);
  if (alternate && alternate !== primary) keys.push(alternate);
  return keys;
}

export function sameScript(a: TokenScript, b: TokenScript): boolean {
  return a === b || (LATIN_LIKE.has(a) && LATIN_LIKE.has(b));
}

/** Each letter of difference in length costs this share of the Jaro-Winkler. */
export const LENGTH_DIFFERENCE_PENALTY = 0.04;

/**
 * Jaro-Winkler discounted by the difference in length: Winkler's measure rewards a shared
 * prefix, so "smith" and "smithson" score 0.925 although they are different names; 4% per
 * letter of difference leaves a dropped or doubled letter a typo ("jose", "joose": 0.915)
 * and sinks extensions ("smithson": 0.814).
 */
export function lengthAdjusted(jw: number, a: string, b: string): number {
  return Math.max(0, jw * (1 - LENGTH_DIFFERENCE_PENALTY * Math.abs(a.length - b.length)));
}

/**
 * True when one edit (a letter replaced, inserted or deleted, or two adjacent letters
 * swapped) turns a into b. Linear: it walks both strings once.
 */
export function withinOneEdit(a: string, b: string): boolean {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === la && i === lb) return true;
  const rest = (x: number, y: number) => a.slice(x) === b.slice(y);
  if (la === lb) {
    // Replacement, or the swap of letters i and i + 1.
    if (rest(i + 1, i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && rest(i + 2, i + 2);
  }
  return la > lb ? rest(i + 1, i) : rest(i, i + 1);
}

/** Compares two tokens; null when they do not match. */
export function compareTokens(q: ComparableToken, l: ComparableToken): TokenComparison | null {
  if (q.text === l.text) {
    return {
      how: sameScript(q.script, l.script) ? 'exact' : 'transliterated',
      similarity: 1,
      jaroWinkler: 1,
    };
  }
  const ql = q.text.length;
  const ll = l.text.length;
  if (ql === 1 || ll === 1) {
    if (ql === ll) return null;
    const initial = ql === 1 ? q.text : l.text;
    const full = ql === 1 ? l.text : q.text;
    if (!LETTER.test(initial) || full[0] !== initial) return null;
    return { how: 'initial', similarity: INITIAL_SIMILARITY, jaroWinkler: jaroWinkler(q.text, l.text) };
  }
  if ((q.abjad || l.abjad) && q.skeleton.length > 1 && q.skeleton === l.skeleton) {
    return {
      how: 'transliterated',
      similarity: skeletonSimilarity(q.skeleton),
      jaroWinkler: jaroWinkler(q.text, l.text),
    };
  }
  const jw = jaroWinkler(q.text, l.text);
  const adjusted = lengthAdjusted(jw, q.text, l.text);
  if (
    ql >= PHONETIC_MIN_LENGTH &&
    ll >= PHONETIC_MIN_LENGTH &&
    adjusted >= PHONETIC_MIN_SIMILARITY &&
    sharesKey(q.phonetic, l.phonetic)
  ) {
    return { how: 'phonetic', similarity: Math.max(PHONETIC_SIMILARITY, adjusted), jaroWinkler: jw };
  }
  if (ql >= FUZZY_MIN_LENGTH && ll >= FUZZY_MIN_LENGTH && adjusted >= FUZZY_MIN_SIMILARITY) {
    return { how: 'fuzzy', similarity: adjusted, jaroWinkler: jw };
  }
  if (
    Math.min(ql, ll) >= ONE_EDIT_MIN_LENGTHS.shorter &&
    Math.max(ql, ll) >= ONE_EDIT_MIN_LENGTHS.longer &&
    withinOneEdit(q.text, l.text)
  ) {
    return { how: 'fuzzy', similarity: FUZZY_MIN_SIMILARITY, jaroWinkler: jw };
  }
  return null;
}

/**
 * Compares two spellings of which one is two adjacent tokens read as one word ("jinping"
 * against "jin ping"). Only equality, an equal skeleton or a close Jaro-Winkler count:
 * phonetic keys of joined words would be computed per pair and add little.
 */
export function compareJoined(
  q: string,
  qScript: TokenScript,
  l: string,
  lScript: TokenScript,
  abjad: boolean,
): TokenComparison | null {
  if (q.length === 0 || l.length === 0) return null;
  if (q === l)
    return { how: sameScript(qScript, lScript) ? 'exact' : 'transliterated', similarity: 1, jaroWinkler: 1 };
  if (abjad) {
    const s = consonantSkeleton(q);
    if (s.length > 1 && s === consonantSkeleton(l)) {
      return { how: 'transliterated', similarity: skeletonSimilarity(s), jaroWinkler: jaroWinkler(q, l) };
    }
  }
  if (q[0] !== l[0]) return null;
  const jw = jaroWinkler(q, l);
  const adjusted = lengthAdjusted(jw, q, l);
  return adjusted >= FUZZY_MIN_SIMILARITY ? { how: 'fuzzy', similarity: adjusted, jaroWinkler: jw } : null;
}

function skeletonSimilarity(skeleton: string): number {
  return skeleton.length >= 3 ? SKELETON_SIMILARITY : SHORT_SKELETON_SIMILARITY;
}

function sharesKey(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) for (const y of b) if (x === y) return true;
  return false;
}
