/**
 * String and token-set similarity for name screening, written here rather than taken from
 * a library because the scores are what an analyst is shown and must be reproducible: the
 * Jaro-Winkler of Winkler (1990) with the usual constants, and an order-independent
 * best assignment between the tokens of two names that tolerates a missing middle name,
 * initials, and a name written joined on one side and split on the other.
 */

/** Winkler's prefix scale: each common leading character (up to four) closes 10% of the gap to 1. */
export const WINKLER_PREFIX_SCALE = 0.1;
/** Winkler applies the prefix boost only to pairs that are already this similar. */
export const WINKLER_BOOST_THRESHOLD = 0.7;
const WINKLER_PREFIX_MAX = 4;
/** Tokens longer than this are compared on their first characters only (bounds the work per pair). */
const MAX_COMPARED_CHARS = 64;

// Scratch flags reused by every call: jaro() runs millions of times in a batch re-screen,
// and allocating two arrays per call would dominate its cost.
const matchedA = new Uint8Array(MAX_COMPARED_CHARS);
const matchedB = new Uint8Array(MAX_COMPARED_CHARS);

/** Jaro similarity in [0, 1]: 1 for equal strings, 0 when no character matches within the window. */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  const la = Math.min(a.length, MAX_COMPARED_CHARS);
  const lb = Math.min(b.length, MAX_COMPARED_CHARS);
  if (la === 0 || lb === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  matchedA.fill(0, 0, la);
  matchedB.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(lb - 1, i + window);
    const ch = a.charCodeAt(i);
    for (let j = from; j <= to; j++) {
      if (matchedB[j] === 0 && b.charCodeAt(j) === ch) {
        matchedA[i] = 1;
        matchedB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  // Transpositions: matched characters of a and b read in order; half the mismatches.
  let halfTranspositions = 0;
  let j = 0;
  for (let i = 0; i < la; i++) {
    if (matchedA[i] === 0) continue;
    while (matchedB[j] === 0) j++;
    if (a.charCodeAt(i) !== b.charCodeAt(j)) halfTranspositions++;
    j++;
  }
  const t = Math.floor(halfTranspositions / 2);
  return (matches / la + matches / lb + (matches - t) / matches) / 3;
}

/** Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4, boost above 0.7). */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  if (j <= WINKLER_BOOST_THRESHOLD) return j;
  const max = Math.min(WINKLER_PREFIX_MAX, a.length, b.length);
  let prefix = 0;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * WINKLER_PREFIX_SCALE * (1 - j);
}

// ---------------------------------------------------------------------------------------
// Token-set similarity: the best assignment between the tokens of two names.

/** One side's token as the assignment sees it: only its weight matters here. */
export interface WeightedToken {
  /** How much the token counts: 1 for a name word, less for particles (bin, van) and initials. */
  weight: number;
}

/**
 * Similarity of a unit of the query (one token, or two adjacent tokens read joined) with a
 * unit of the list name; 0 when they do not match at all. Callers supply it because how two
 * tokens compare (exact, transliterated, phonetic, fuzzy) is theirs to decide and explain.
 */
export interface PairScorer {
  /** Query token i with list token j. */
  single(i: number, j: number): number;
  /** Query token i with list tokens j and j + 1 read as one word ("jinping" with "jin ping"). */
  listJoined(i: number, j: number): number;
  /** Query tokens i and i + 1 read as one word with list token j. */
  queryJoined(i: number, j: number): number;
}

/** One pair of the chosen assignment, by token positions. */
export interface AssignedPair {
  /** Query token positions: one, or two adjacent ones read joined. */
  query: readonly number[];
  /** List token positions: one, or two adjacent ones read joined. */
  list: readonly number[];
  similarity: number;
}

export interface TokenSetResult {
  /** 0–1: the matched share of both names' weight, unmatched tokens counting against it. */
  score: number;
  pairs: AssignedPair[];
  unmatchedQuery: number[];
  unmatchedList: number[];
}

/**
 * When at least this many strong pairs hold and one name is wholly inside the other, an
 * unmatched token counts only half: a name with its middle name or patronymic left out
 * ("Vladimir Putin" against "Vladimir Vladimirovich Putin") is still that name, while one
 * matched word out of two is not, and different middle names are not an omission.
 */
export const MISSING_TOKEN_TOLERANCE_PAIRS = 2;
const STRONG_PAIR_SIMILARITY = 0.85;
const TOLERATED_MISSING_WEIGHT = 0.5;
/** Joined readings are only worth taking when they nearly agree; loosely joined words are noise. */
export const JOINED_MIN_SIMILARITY = 0.9;
/** Names longer than this (in tokens) are not compared: normalisation never produces them. */
export const MAX_SET_TOKENS = 30;
/** Above this many search steps the exact assignment gives way to a greedy one (long entity names). */
const EXACT_SEARCH_STEPS_MAX = 20_000;
const MAX_OPTIONS = MAX_SET_TOKENS * MAX_SET_TOKENS * 3;

// The options of one comparison, in flat scratch arrays reused by every call: the scorer
// runs for hundreds of candidates per query and a batch re-screen runs it millions of
// times, so nothing here allocates until a caller asks for the pairs.
const optMask = new Int32Array(MAX_OPTIONS);
const optAdvance = new Uint8Array(MAX_OPTIONS);
const optList0 = new Int32Array(MAX_OPTIONS);
const optList1 = new Int32Array(MAX_OPTIONS);
const optSimilarity = new Float64Array(MAX_OPTIONS);
const optGain = new Float64Array(MAX_OPTIONS);
const optStart = new Int32Array(MAX_SET_TOKENS + 2);
/** The option chosen for each query position (-1: unmatched or consumed by a joined pair). */
const chosen = new Int32Array(MAX_SET_TOKENS + 1);
const path = new Int32Array(MAX_SET_TOKENS + 1);
const usedQ = new Uint8Array(MAX_SET_TOKENS + 1);
const usedL = new Uint8Array(MAX_SET_TOKENS + 1);
let bestGain = -1;
let queryLength = 0;

/**
 * The score of the best order-independent assignment between query and list tokens.
 * Each token is used at most once; a query token may match two adjacent list tokens read
 * joined and vice versa. The assignment maximises the weighted similarity of the pairs
 * (exactly by search while that stays cheap, greedily beyond), and the score is
 *
 *   Σ sim·(w_q + w_l) over pairs  /  (Σ (w_q + w_l) over pairs + Σ w·m over unmatched tokens)
 *
 * where m is 1, or 0.5 once two strong pairs hold, the unmatched tokens are all on one
 * side (a missing middle name, not a different one), and the caller
 * tolerates missing tokens (people's names; not organisations', where an extra word
 * usually makes another company).
 */
export function tokenSetScore(
  query: readonly WeightedToken[],
  list: readonly WeightedToken[],
  scorer: PairScorer,
  tolerateMissing = true,
): number {
  const nq = query.length;
  const nl = list.length;
  queryLength = nq;
  if (nq === 0 || nl === 0 || nq > MAX_SET_TOKENS || nl > MAX_SET_TOKENS) {
    chosen.fill(-1, 0, nq + 1);
    return 0;
  }
  let count = 0;
  let steps = 1;
  for (let i = 0; i < nq; i++) {
    optStart[i] = count;
    const wq = query[i]?.weight ?? 0;
    const wqNext = query[i + 1]?.weight ?? 0;
    for (let j = 0; j < nl; j++) {
      const wl = list[j]?.weight ?? 0;
      const s = scorer.single(i, j);
      if (s > 0) count = pushOption(count, 1 << j, 1, j, -1, s, s * (wq + wl));
      if (j + 1 < nl) {
        const sj = scorer.listJoined(i, j);
        if (sj >= JOINED_MIN_SIMILARITY) {
          const wlNext = list[j + 1]?.weight ?? 0;
          count = pushOption(count, (1 << j) | (1 << (j + 1)), 1, j, j + 1, sj, sj * (wq + wl + wlNext));
        }
      }
      if (i + 1 < nq) {
        const sq = scorer.queryJoined(i, j);
        if (sq >= JOINED_MIN_SIMILARITY)
          count = pushOption(count, 1 << j, 2, j, -1, sq, sq * (wq + wqNext + wl));
      }
    }
    steps *= count - (optStart[i] ?? 0) + 1;
  }
  optStart[nq] = count;
  chosen.fill(-1, 0, nq + 1);
  if (count === 0) return 0;
  if (steps <= EXACT_SEARCH_STEPS_MAX) {
    bestGain = -1;
    search(0, 0, 0);
  } else greedy(count, nq);

  let gain = 0;
  let pairWeight = 0;
  let strong = 0;
  usedQ.fill(0, 0, nq);
  usedL.fill(0, 0, nl);
  for (let i = 0; i < nq; i++) {
    const o = chosen[i] ?? -1;
    if (o < 0) continue;
    const s = optSimilarity[o] ?? 0;
    const g = optGain[o] ?? 0;
    gain += g;
    pairWeight += g / s;
    if (s >= STRONG_PAIR_SIMILARITY) strong++;
    usedQ[i] = 1;
    if (optAdvance[o] === 2) usedQ[i + 1] = 1;
    usedL[optList0[o] ?? 0] = 1;
    const l1 = optList1[o] ?? -1;
    if (l1 >= 0) usedL[l1] = 1;
  }
  let missingQuery = 0;
  let missingList = 0;
  for (let i = 0; i < nq; i++) if (usedQ[i] === 0) missingQuery += query[i]?.weight ?? 0;
  for (let j = 0; j < nl; j++) if (usedL[j] === 0) missingList += list[j]?.weight ?? 0;
  // Tolerated only when one name is wholly inside the other: words left out on one side
  // are an omission, different words on both sides ("bin Imad", "bin Omar") a conflict.
  const omission = missingQuery === 0 || missingList === 0;
  const missingFactor =
    tolerateMissing && omission && strong >= MISSING_TOKEN_TOLERANCE_PAIRS ? TOLERATED_MISSING_WEIGHT : 1;
  const denominator = pairWeight + (missingQuery + missingList) * missingFactor;
  return denominator > 0 ? Math.min(1, gain / denominator) : 0;
}

/** The score and the chosen pairs, for an explanation. */
export function tokenSetSimilarity(
  query: readonly WeightedToken[],
  list: readonly WeightedToken[],
  scorer: PairScorer,
  tolerateMissing = true,
): TokenSetResult {
  const score = tokenSetScore(query, list, scorer, tolerateMissing);
  const pairs: AssignedPair[] = [];
  const nq = query.length;
  const nl = list.length;
  const inQ = new Uint8Array(nq);
  const inL = new Uint8Array(nl);
  for (let i = 0; i < Math.min(nq, MAX_SET_TOKENS); i++) {
    const o = chosen[i] ?? -1;
    if (o < 0) continue;
    const q = optAdvance[o] === 2 ? [i, i + 1] : [i];
    const l1 = optList1[o] ?? -1;
    const l = l1 >= 0 ? [optList0[o] ?? 0, l1] : [optList0[o] ?? 0];
    for (const x of q) inQ[x] = 1;
    for (const x of l) inL[x] = 1;
    pairs.push({ query: q, list: l, similarity: optSimilarity[o] ?? 0 });
  }
  const unmatchedQuery: number[] = [];
  const unmatchedList: number[] = [];
  for (let i = 0; i < nq; i++) if (inQ[i] === 0) unmatchedQuery.push(i);
  for (let j = 0; j < nl; j++) if (inL[j] === 0) unmatchedList.push(j);
  return { score, pairs, unmatchedQuery, unmatchedList };
}

function pushOption(
  at: number,
  mask: number,
  advance: number,
  l0: number,
  l1: number,
  similarity: number,
  gain: number,
): number {
  if (at >= MAX_OPTIONS) return at;
  optMask[at] = mask;
  optAdvance[at] = advance;
  optList0[at] = l0;
  optList1[at] = l1;
  optSimilarity[at] = similarity;
  optGain[at] = gain;
  return at + 1;
}

/** Depth-first search over the options of each query position, "unmatched" included. */
function search(i: number, mask: number, gain: number): void {
  if (i >= queryLength) {
    if (gain > bestGain) {
      bestGain = gain;
      chosen.set(path.subarray(0, queryLength));
    }
    return;
  }
  const end = optStart[i + 1] ?? 0;
  for (let o = optStart[i] ?? 0; o < end; o++) {
    const m = optMask[o] ?? 0;
    if ((m & mask) !== 0) continue;
    const advance = optAdvance[o] ?? 1;
    path[i] = o;
    if (advance === 2) path[i + 1] = -1;
    search(i + advance, mask | m, gain + (optGain[o] ?? 0));
  }
  path[i] = -1;
  search(i + 1, mask, gain);
}

/** Highest gain first, skipping options whose tokens are taken (long names only). */
function greedy(count: number, nq: number): void {
  const order = Array.from({ length: count }, (_, o) => o).sort(
    (a, b) => (optGain[b] ?? 0) - (optGain[a] ?? 0),
  );
  const owner = new Int32Array(count);
  for (let i = 0; i < nq; i++) for (let o = optStart[i] ?? 0; o < (optStart[i + 1] ?? 0); o++) owner[o] = i;
  const taken = new Uint8Array(nq + 1);
  let mask = 0;
  for (const o of order) {
    const i = owner[o] ?? 0;
    const m = optMask[o] ?? 0;
    const two = optAdvance[o] === 2;
    if ((m & mask) !== 0 || taken[i] === 1 || (two && taken[i + 1] === 1)) continue;
    taken[i] = 1;
    if (two) taken[i + 1] = 1;
    mask |= m;
    chosen[i] = o;
  }
}
