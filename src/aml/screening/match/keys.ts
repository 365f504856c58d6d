/**
 * The retrieval keys of a name: what a query and a list name must share for the name to be
 * considered at all. Computed alike for both sides, except for consonant skeletons.
 */
import { consonantSkeleton } from './normalize.ts';
import type { IndexedToken } from './scorer.ts';

const KEY_WEIGHT = { token: 1, phonetic: 0.6, skeleton: 0.6, deletion: 0.4 } as const;
/** Tokens this long are also keyed by their one-letter deletions; one letter shorter, by themselves. */
const DELETION_MIN_LENGTH = 4;
const MIN_KEY_LENGTH = 2;

export interface KeyUse {
  /** The kind's weight: a shared spelling says more than a shared sound. */
  weight: number;
  /** The query tokens (bit i: token i) that produce the key. */
  tokens: number;
}

/**
 * Keys of a token list; list names and queries are keyed alike, except for skeletons.
 *  - `t`: the token, and two adjacent tokens joined ("jin ping" → jinping);
 *  - `p`: its double-metaphone keys;
 *  - `d`: the token and its one-letter deletions (for tokens of DELETION_MIN_LENGTH
 *    letters or more), so that any single typo (a letter replaced, dropped, added or two
 *    swapped) leaves a key in common: "wtason" and "watson" both give "wtson"; and two
 *    adjacent tokens joined, for a typo in a word the other side splits;
 *  - `s` / `a`: consonant skeletons of Latin / Arabic-script words; a Latin query looks
 *    only at `a` (names written in Arabic), an Arabic query at both.
 */
export function keysOf(tokens: readonly IndexedToken[], side: 'list' | 'query'): Map<string, KeyUse> {
  const keys = new Map<string, KeyUse>();
  const add = (key: string, weight: number, bits: number) => {
    if (key.length <= MIN_KEY_LENGTH) return;
    const known = keys.get(key);
    if (known) {
      known.weight = Math.max(known.weight, weight);
      known.tokens |= bits;
    } else keys.set(key, { weight, tokens: bits });
  };
  const addSkeleton = (skeleton: string, abjad: boolean, bits: number) => {
    if (side === 'list') add(`${abjad ? 'a' : 's'}${skeleton}`, KEY_WEIGHT.skeleton, bits);
    else {
      add(`a${skeleton}`, KEY_WEIGHT.skeleton, bits);
      if (abjad) add(`s${skeleton}`, KEY_WEIGHT.skeleton, bits);
    }
  };
  tokens.forEach((t, i) => {
    const bit = 1 << i;
    if (t.text.length >= MIN_KEY_LENGTH) {
      add(`t${t.text}`, KEY_WEIGHT.token, bit);
      for (const p of t.phonetic) add(`p${p}`, KEY_WEIGHT.phonetic, bit);
      addSkeleton(t.skeleton, t.abjad, bit);
    }
    if (t.text.length >= DELETION_MIN_LENGTH - 1) add(`d${t.text}`, KEY_WEIGHT.deletion, bit);
    if (t.text.length >= DELETION_MIN_LENGTH) {
      for (let k = 0; k < t.text.length; k++) {
        add(`d${t.text.slice(0, k)}${t.text.slice(k + 1)}`, KEY_WEIGHT.deletion, bit);
      }
    }
    const next = tokens[i + 1];
    if (next) {
      const joined = t.text + next.text;
      const bits = bit | (bit << 1);
      add(`t${joined}`, KEY_WEIGHT.token, bits);
      // A typo in a word the other side writes as two ("alszahrani", "al zahrani").
      add(`d${joined}`, KEY_WEIGHT.deletion, bits);
      addSkeleton(consonantSkeleton(joined), t.abjad || next.abjad, bits);
    }
  });
  return keys;
}
