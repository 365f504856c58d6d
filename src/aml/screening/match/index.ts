/**
 * The screening index: every name of every list entry, normalised once, with posting lists
 * by token, phonetic key and consonant skeleton so that a query is compared with a few
 * hundred candidate names rather than every name on the lists. Screening is synchronous
 * and bounded (tokens per name, candidates per query, hits per answer) so it fits inside a
 * risk decision's deadline; a batch re-screen is the same call in a loop.
 *
 * Retrieval: each query key (token, double-metaphone key, one-letter deletions, joined
 * adjacent tokens, and skeletons for Arabic-script words) marks the query tokens it
 * stands for on every name that holds it, and adds its inverse document frequency; keys
 * held by more than `STOP_KEY_SHARE` of all names only add to names found otherwise. A
 * name is scored in full when the score it could reach from the tokens it shares keys with
 * clears the threshold, less the most the attributes can add and a margin; beyond
 * `maxCandidates` such names, the best-placed are kept.
 */
import type { ListEntry, ListName } from '../types.ts';
import {
  type AttributeEffect,
  birthDateEffect,
  MAX_BONUS_POINTS,
  nameQualityEffect,
  nationalityEffect,
  typeEffect,
} from './attributes.ts';
import { keysOf } from './keys.ts';
import type { DroppedWord } from './normalize.ts';
import {
  ComparisonCache,
  type IndexedToken,
  indexTokens,
  QueryScorer,
  type TokenMatchExplanation,
} from './scorer.ts';
import { tokenSetScore, tokenSetSimilarity } from './similarity.ts';

export type { TokenMatchExplanation } from './scorer.ts';

export interface ScreeningQuery {
  name: string;
  /** YYYY-MM-DD, or YYYY when only the year is known. */
  birthDate?: string;
  /** ISO 3166-1 alpha-2. */
  nationality?: string;
  type?: 'individual' | 'entity';
}

export interface ScreenOptions {
  /** Lowest score (0–1) reported as a hit; DEFAULT_THRESHOLD when absent. */
  threshold?: number;
  /** Candidate names scored in full per query. */
  maxCandidates?: number;
  /** Hits returned, best first. */
  maxHits?: number;
  /**
   * Compare with every name on the lists, skipping retrieval: slow (tens of milliseconds),
   * for audits of what retrieval would miss and for benchmarks, never for live decisions.
   */
  exhaustive?: boolean;
}

export interface HitExplanation {
  /** The order-independent token-set score of the names alone, 0–1. */
  nameScore: number;
  /** One element per query token (joined pairs once), in query order. */
  tokens: TokenMatchExplanation[];
  /** List tokens no query token matched (a middle name the query left out, say). */
  unmatchedListTokens: string[];
  /** Secondary attributes, each with the points it added or removed. */
  attributes: AttributeEffect[];
  droppedFromQuery: DroppedWord[];
  droppedFromListName: DroppedWord[];
}

export interface Hit {
  entry: ListEntry;
  /** The entry's name that matched best. */
  name: ListName;
  /** nameScore plus the attributes' points, clamped to 0–1. */
  score: number;
  explanation: HitExplanation;
}

export interface ScreeningStats {
  /** Names that shared keys with the query. */
  namesTouched: number;
  /** Names scored in full. */
  candidates: number;
  elapsedMs: number;
}

export interface IndexStats {
  entries: number;
  names: number;
  keys: number;
  postings: number;
  buildMs: number;
}

export const DEFAULT_THRESHOLD = 0.85;
export const DEFAULT_MAX_CANDIDATES = 400;
export const DEFAULT_MAX_HITS = 50;
/** The most candidates a caller may ask for: past this a query is no longer a few milliseconds. */
export const MAX_CANDIDATES_LIMIT = 5_000;
/** Queries per screenBatch call; a full re-screen passes its customers in chunks. */
export const MAX_BATCH_QUERIES = 10_000;
/** A key held by more than this share of all names (e.g. "mohammed") says too little to retrieve by. */
export const STOP_KEY_SHARE = 0.05;
const STOP_KEY_MIN_POSTINGS = 500;
/** How far below the lowest useful name score a name's reach may fall and still be scored (fuzzy matches without a shared key). */
export const RETRIEVAL_MARGIN = 0.05;
/** The most hits a caller may ask for. */
export const MAX_HITS_LIMIT = 1_000;

interface IndexedName {
  entry: number;
  name: ListName;
  tokens: IndexedToken[];
  dropped: DroppedWord[];
  /** A person (or unknown): a missing middle name is tolerated. */
  tolerant: boolean;
}

/** Names of people (and of unknown type) tolerate a missing token; an organisation's extra word often makes another company. */
function tolerates(type: ListEntry['type']): boolean {
  return type === 'individual' || type === 'unknown';
}

export class ScreeningIndex {
  readonly stats: IndexStats;
  private readonly names: IndexedName[];
  private readonly postings: Map<string, Int32Array>;
  private readonly stopKeyPostings: number;
  /** Scratch for retrieval, reused by every query (screening is synchronous). */
  private readonly accumulated: Float64Array;
  /** The query tokens (bit i: token i) each name shares a key with. */
  private readonly masks: Uint32Array;
  private readonly touched: Int32Array;
  private readonly cache: ComparisonCache;
  /** Per name: the sum of its token weights, and whether a missing token is tolerated (individuals). */
  private readonly nameWeights: Float64Array;
  private readonly nameTolerant: Uint8Array;
  /** Per name: 1 when it has an initial (a one-letter token). */
  private readonly nameInitials: Uint8Array;

  private constructor(
    private readonly entries: readonly ListEntry[],
    names: IndexedName[],
    postings: Map<string, Int32Array>,
    distinctTokens: number,
    buildMs: number,
  ) {
    this.names = names;
    this.postings = postings;
    this.accumulated = new Float64Array(names.length);
    this.masks = new Uint32Array(names.length);
    this.touched = new Int32Array(names.length);
    this.nameWeights = Float64Array.from(names, (x) => x.tokens.reduce((sum, t) => sum + t.weight, 0));
    this.nameTolerant = Uint8Array.from(names, (x) => (x.tolerant ? 1 : 0));
    this.nameInitials = Uint8Array.from(names, (x) => (x.tokens.some((t) => t.text.length === 1) ? 1 : 0));
    this.cache = new ComparisonCache(distinctTokens);
    this.stopKeyPostings = Math.max(STOP_KEY_MIN_POSTINGS, Math.floor(names.length * STOP_KEY_SHARE));
    let total = 0;
    for (const p of postings.values()) total += p.length;
    this.stats = {
      entries: entries.length,
      names: names.length,
      keys: postings.size,
      postings: total,
      buildMs,
    };
  }

  /** Normalises every name of every entry and builds the posting lists. */
  static build(entries: readonly ListEntry[]): ScreeningIndex {
    const started = performance.now();
    const names: IndexedName[] = [];
    const lists = new Map<string, number[]>();
    const tokenIds = new Map<string, number>();
    entries.forEach((entry, e) => {
      const seen = new Set<string>();
      for (const name of entry.names) {
        const { tokens, dropped } = indexTokens(name.full, entry.type);
        if (tokens.length === 0) continue;
        // The same tokens under another name of the entry (a native spelling that
        // transliterates to the primary) add work and nothing else: the first one stays.
        const signature = tokens.map((t) => t.text).join(' ');
        if (seen.has(signature)) continue;
        seen.add(signature);
        for (const t of tokens) {
          const key = `${t.script}${t.abjad ? '!' : ':'}${t.text}`;
          let tokenId = tokenIds.get(key);
          if (tokenId === undefined) {
            tokenId = tokenIds.size;
            tokenIds.set(key, tokenId);
          }
          t.id = tokenId;
        }
        const id = names.length;
        names.push({ entry: e, name, tokens, dropped, tolerant: tolerates(entry.type) });
        for (const key of keysOf(tokens, 'list').keys()) {
          const list = lists.get(key);
          if (list) list.push(id);
          else lists.set(key, [id]);
        }
      }
    });
    const postings = new Map<string, Int32Array>();
    for (const [key, ids] of lists) postings.set(key, Int32Array.from(ids));
    return new ScreeningIndex(entries, names, postings, tokenIds.size, performance.now() - started);
  }

  /** The entries whose names match the query at or above the threshold, best first, explained. */
  screen(query: ScreeningQuery, options: ScreenOptions = {}): Hit[] {
    return this.screenWithStats(query, options).hits;
  }

  /** Screens many queries (a re-screen after a list update); one answer per query, in order. */
  screenBatch(queries: readonly ScreeningQuery[], options: ScreenOptions = {}): Hit[][] {
    if (queries.length > MAX_BATCH_QUERIES) {
      throw new RangeError(`screenBatch takes at most ${MAX_BATCH_QUERIES} queries, got ${queries.length}`);
    }
    return queries.map((q) => this.screenWithStats(q, options).hits);
  }

  screenWithStats(
    query: ScreeningQuery,
    options: ScreenOptions = {},
  ): { hits: Hit[]; stats: ScreeningStats } {
    const started = performance.now();
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    const maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    const maxHits = options.maxHits ?? DEFAULT_MAX_HITS;
    if (!(threshold > 0 && threshold <= 1)) {
      throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
    }
    if (!(Number.isInteger(maxHits) && maxHits > 0 && maxHits <= MAX_HITS_LIMIT)) {
      throw new RangeError(`maxHits must be an integer in 1..${MAX_HITS_LIMIT}, got ${maxHits}`);
    }
    if (!(Number.isInteger(maxCandidates) && maxCandidates > 0 && maxCandidates <= MAX_CANDIDATES_LIMIT)) {
      throw new RangeError(
        `maxCandidates must be an integer in 1..${MAX_CANDIDATES_LIMIT}, got ${maxCandidates}`,
      );
    }

    const q = indexTokens(query.name, query.type);
    if (q.tokens.length === 0) {
      return { hits: [], stats: { namesTouched: 0, candidates: 0, elapsedMs: performance.now() - started } };
    }
    // Names that could still reach the threshold with every attribute in their favour.
    const minNameScore = threshold - MAX_BONUS_POINTS;
    const queryTolerant = query.type !== 'entity';
    const { candidates, touched } = options.exhaustive
      ? { candidates: this.names.map((_, id) => id), touched: this.names.length }
      : this.retrieve(q.tokens, queryTolerant, minNameScore, maxCandidates);
    const scorer = new QueryScorer(q.tokens, this.cache);

    const perEntry = new Map<number, Array<{ name: IndexedName; score: number }>>();
    for (const id of candidates) {
      const name = this.names[id];
      if (!name) continue;
      scorer.list = name.tokens;
      const score = tokenSetScore(q.tokens, name.tokens, scorer, queryTolerant && name.tolerant);
      if (score < minNameScore) continue;
      const list = perEntry.get(name.entry);
      if (list) list.push({ name, score });
      else perEntry.set(name.entry, [{ name, score }]);
    }

    const hits: Hit[] = [];
    for (const [e, scored] of perEntry) {
      const entry = this.entries[e];
      if (!entry) continue;
      const entryEffects = [
        typeEffect(query.type, entry),
        birthDateEffect(query.birthDate, entry),
        nationalityEffect(query.nationality, entry),
      ].filter((x): x is AttributeEffect => x !== null);
      const entryPoints = entryEffects.reduce((sum, x) => sum + x.points, 0);
      let best: { name: IndexedName; unclamped: number; attributes: AttributeEffect[] } | null = null;
      for (const { name, score } of scored) {
        const quality = nameQualityEffect(name.name);
        const unclamped = score + entryPoints + (quality?.points ?? 0);
        if (best && unclamped <= best.unclamped) continue;
        best = { name, unclamped, attributes: quality ? [...entryEffects, quality] : entryEffects };
      }
      if (!best || best.unclamped < threshold) continue;
      // Only hits are explained: the assignment is computed again, this time with its pairs.
      const { name, unclamped, attributes } = best;
      scorer.list = name.tokens;
      const result = tokenSetSimilarity(q.tokens, name.tokens, scorer, queryTolerant && name.tolerant);
      hits.push({
        entry,
        name: name.name,
        score: Math.max(0, Math.min(1, unclamped)),
        explanation: {
          nameScore: result.score,
          tokens: scorer.explain(name.tokens, result),
          unmatchedListTokens: result.unmatchedList.map((j) => name.tokens[j]?.text ?? ''),
          attributes,
          droppedFromQuery: q.dropped,
          droppedFromListName: name.dropped,
        },
      });
    }
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        a.entry.list.localeCompare(b.entry.list) ||
        a.entry.sourceId.localeCompare(b.entry.sourceId),
    );
    return {
      hits: hits.slice(0, maxHits),
      stats: { namesTouched: touched, candidates: candidates.length, elapsedMs: performance.now() - started },
    };
  }

  /**
   * Candidate name ids, best first, and how many names shared any key. A name is a
   * candidate when the score it could reach, were every query token that shares a key with
   * it matched exactly and every other token unmatched, clears `minNameScore` (less a
   * margin for fuzzy matches that share no key).
   */
  private retrieve(
    tokens: readonly IndexedToken[],
    tolerant: boolean,
    minNameScore: number,
    maxCandidates: number,
  ): { candidates: number[]; touched: number } {
    const n = this.names.length;
    const acc = this.accumulated;
    const masks = this.masks;
    const touched = this.touched;
    let touchedCount = 0;
    const stopKeys: Array<{ ids: Int32Array; weight: number; bits: number }> = [];
    for (const [key, use] of keysOf(tokens, 'query')) {
      const ids = this.postings.get(key);
      if (!ids) continue;
      const weight = use.weight * Math.log(1 + n / ids.length);
      if (ids.length > this.stopKeyPostings) {
        stopKeys.push({ ids, weight, bits: use.tokens });
        continue;
      }
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k] ?? 0;
        if (masks[id] === 0) touched[touchedCount++] = id;
        masks[id] = (masks[id] ?? 0) | use.tokens;
        acc[id] = (acc[id] ?? 0) + weight;
      }
    }
    // Very common keys ("mohammed") only add to names found otherwise; a query made of
    // nothing else is retrieved by its rarest one.
    stopKeys.sort((a, b) => a.ids.length - b.ids.length);
    stopKeys.forEach((key, k) => {
      const opens = k === 0 && touchedCount === 0;
      for (let x = 0; x < key.ids.length; x++) {
        const id = key.ids[x] ?? 0;
        if (masks[id] === 0) {
          if (!opens) continue;
          touched[touchedCount++] = id;
        }
        masks[id] = (masks[id] ?? 0) | key.bits;
        acc[id] = (acc[id] ?? 0) + key.weight;
      }
    });

    let queryWeight = 0;
    for (const t of tokens) queryWeight += t.weight;
    const queryInitials = tokens.some((t) => t.text.length === 1);
    const floor = minNameScore - RETRIEVAL_MARGIN;
    const bound = new Map<number, number>();
    const candidates: number[] = [];
    for (let k = 0; k < touchedCount; k++) {
      const id = touched[k] ?? 0;
      const mask = masks[id] ?? 0;
      let covered = 0;
      let coveredTokens = 0;
      tokens.forEach((t, i) => {
        if ((mask >>> i) & 1) {
          covered += t.weight;
          coveredTokens++;
        }
      });
      const listWeight = this.nameWeights[id] ?? 0;
      const omission = covered >= queryWeight || covered >= listWeight;
      const factor = tolerant && this.nameTolerant[id] === 1 && coveredTokens >= 2 && omission ? 0.5 : 1;
      const matched = 2 * Math.min(covered, listWeight);
      const missing = factor * (queryWeight - covered + Math.max(0, listWeight - covered));
      const reach = matched / (matched + missing);
      // Initials have no keys and may match any word with their letter: a name or query
      // that has them is scored whenever it shares any key at all.
      if (reach >= floor || queryInitials || this.nameInitials[id] === 1) {
        candidates.push(id);
        bound.set(id, reach);
      }
    }
    if (candidates.length > maxCandidates) {
      candidates.sort(
        (a, b) => (bound.get(b) ?? 0) - (bound.get(a) ?? 0) || (acc[b] ?? 0) - (acc[a] ?? 0) || a - b,
      );
      candidates.length = maxCandidates;
    }
    for (let k = 0; k < touchedCount; k++) {
      const id = touched[k] ?? 0;
      acc[id] = 0;
      masks[id] = 0;
    }
    return { candidates, touched: touchedCount };
  }
}
