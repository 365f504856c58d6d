/**
 * Scoring one query against list names, one name at a time: the token comparisons behind
 * the token-set score, cached for the query, and the explanation of a hit built from the
 * same comparisons so that what it says is what was scored.
 */
import type { ListEntry } from '../types.ts';
import {
  type ComparableToken,
  comparable,
  compareJoined,
  compareTokens,
  type MatchHow,
  sameScript,
  type TokenComparison,
} from './compare.ts';
import { type DroppedWord, isAbjad, MAX_TOKENS, normalizeName, type TokenScript } from './normalize.ts';
import type { PairScorer, TokenSetResult } from './similarity.ts';

/** One query token (or two read joined) and what it matched on the list name. */
export interface TokenMatchExplanation {
  /** Normalised query token(s): two when the query writes as two words what the list writes as one. */
  queryTokens: string[];
  /** The query's words as written ("Путин", "近平"). */
  querySource: string;
  /** Normalised list token(s); empty when the query token matched nothing. */
  listTokens: string[];
  listSource: string;
  how: MatchHow | 'unmatched';
  /** True when one side is two adjacent tokens read as one word ("jinping" = "jin ping"). */
  joined: boolean;
  /** What the pair contributes, 0–1. */
  similarity: number;
  /** Jaro-Winkler of the spellings (null when unmatched). */
  jaroWinkler: number | null;
}

/** A token of a list name or query, ready for comparison, with where it came from. */
export interface IndexedToken extends ComparableToken {
  weight: number;
  source: string;
  /** The distinct (spelling, script) of list tokens, numbered at build; -1 for query tokens. */
  id: number;
}

/** Normalises a name into comparable tokens. */
export function indexTokens(
  name: string,
  type: ListEntry['type'] | undefined,
): {
  tokens: IndexedToken[];
  dropped: DroppedWord[];
} {
  const normalized = normalizeName(name, type ? { type } : {});
  const tokens = normalized.tokens.map((t) => ({
    ...comparable(t, isAbjad(t.script)),
    weight: t.weight,
    source: t.source,
    id: -1,
  }));
  return { tokens, dropped: normalized.dropped };
}

export function joinedScript(a: TokenScript, b: TokenScript): TokenScript {
  return sameScript(a, b) ? a : 'Zyyy';
}

/**
 * Similarities of query tokens with the index's distinct list tokens, kept for one query
 * at a time: candidates share most of their tokens (that is why they are candidates), so
 * each distinct list word is compared with each query token once. Entries are stamped
 * with the query's generation instead of being cleared between queries.
 */
export class ComparisonCache {
  /** Slot (query position × 2 + kind) × distinct tokens; kind 0 single, 1 query-joined. */
  readonly similarity: Float64Array;
  readonly stamp: Uint32Array;
  generation = 0;

  constructor(readonly distinctTokens: number) {
    const size = Math.max(1, 2 * MAX_TOKENS * distinctTokens);
    this.similarity = new Float64Array(size);
    this.stamp = new Uint32Array(size);
  }

  next(): number {
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      // After 2^32 queries the stamps wrap: forget everything once.
      this.stamp.fill(0);
      this.generation = 1;
    }
    return this.generation;
  }
}

/** Scores the query against one list name at a time (`list`), through the cache. */
export class QueryScorer implements PairScorer {
  /** The list name being scored. */
  list: readonly IndexedToken[] = [];
  private readonly generation: number;
  private readonly listJoinedCache: Array<Map<number, number>>;
  private readonly joinedQuery: Array<{ text: string; script: TokenScript; abjad: boolean }>;

  constructor(
    private readonly query: readonly IndexedToken[],
    private readonly cache: ComparisonCache,
  ) {
    this.generation = cache.next();
    this.listJoinedCache = query.map(() => new Map());
    this.joinedQuery = query.map((t, i) => {
      const next = query[i + 1];
      return next
        ? {
            text: t.text + next.text,
            script: joinedScript(t.script, next.script),
            abjad: t.abjad || next.abjad,
          }
        : { text: '', script: t.script, abjad: false };
    });
  }

  single(i: number, j: number): number {
    const l = this.list[j];
    const q = this.query[i];
    if (!l || !q) return 0;
    const slot = (2 * i * this.cache.distinctTokens + l.id) | 0;
    if (l.id >= 0 && this.cache.stamp[slot] === this.generation) return this.cache.similarity[slot] ?? 0;
    const s = compareTokens(q, l)?.similarity ?? 0;
    if (l.id >= 0) {
      this.cache.stamp[slot] = this.generation;
      this.cache.similarity[slot] = s;
    }
    return s;
  }

  listJoined(i: number, j: number): number {
    const a = this.list[j];
    const b = this.list[j + 1];
    const q = this.query[i];
    if (!a || !b || !q) return 0;
    const abjad = q.abjad || a.abjad || b.abjad;
    // Cheap refusals before building the joined word: it must start alike and be longer.
    if (!abjad && (q.text.charCodeAt(0) !== a.text.charCodeAt(0) || q.text.length <= a.text.length)) return 0;
    const cache = this.listJoinedCache[i];
    const key = a.id * this.cache.distinctTokens + b.id;
    const known = a.id >= 0 && b.id >= 0 ? cache?.get(key) : undefined;
    if (known !== undefined) return known;
    const s = this.compareListJoined(i, a, b)?.similarity ?? 0;
    if (a.id >= 0 && b.id >= 0) cache?.set(key, s);
    return s;
  }

  queryJoined(i: number, j: number): number {
    const l = this.list[j];
    const q = this.joinedQuery[i];
    if (!l || !q || q.text.length === 0) return 0;
    if (!(q.abjad || l.abjad)) {
      if (q.text.charCodeAt(0) !== l.text.charCodeAt(0) || l.text.length <= (this.query[i]?.text.length ?? 0))
        return 0;
    }
    const slot = ((2 * i + 1) * this.cache.distinctTokens + l.id) | 0;
    if (l.id >= 0 && this.cache.stamp[slot] === this.generation) return this.cache.similarity[slot] ?? 0;
    const s = this.compareQueryJoined(i, l)?.similarity ?? 0;
    if (l.id >= 0) {
      this.cache.stamp[slot] = this.generation;
      this.cache.similarity[slot] = s;
    }
    return s;
  }

  compareListJoined(i: number, a: IndexedToken, b: IndexedToken): TokenComparison | null {
    const q = this.query[i];
    if (!q) return null;
    return compareJoined(
      q.text,
      q.script,
      a.text + b.text,
      joinedScript(a.script, b.script),
      q.abjad || a.abjad || b.abjad,
    );
  }

  compareQueryJoined(i: number, l: IndexedToken): TokenComparison | null {
    const q = this.joinedQuery[i];
    if (!q || q.text.length === 0) return null;
    return compareJoined(q.text, q.script, l.text, l.script, q.abjad || l.abjad);
  }

  /** One explanation per query token (a joined pair once), in query order. */
  explain(list: readonly IndexedToken[], result: TokenSetResult): TokenMatchExplanation[] {
    const out: TokenMatchExplanation[] = [];
    const byFirstQueryToken = new Map(result.pairs.map((p) => [p.query[0] ?? -1, p]));
    for (let i = 0; i < this.query.length; i++) {
      const q = this.query[i];
      if (!q) continue;
      const pair = byFirstQueryToken.get(i);
      if (!pair) {
        out.push({
          queryTokens: [q.text],
          querySource: q.source,
          listTokens: [],
          listSource: '',
          how: 'unmatched',
          joined: false,
          similarity: 0,
          jaroWinkler: null,
        });
        continue;
      }
      const qs = pair.query.map((x) => this.query[x]).filter((t): t is IndexedToken => t !== undefined);
      const ls = pair.list.map((x) => list[x]).filter((t): t is IndexedToken => t !== undefined);
      const [l0, l1] = ls;
      let comparison: TokenComparison | null = null;
      if (qs.length === 2 && l0) comparison = this.compareQueryJoined(i, l0);
      else if (l0 && l1) comparison = this.compareListJoined(i, l0, l1);
      else if (l0) comparison = compareTokens(q, l0);
      out.push({
        queryTokens: qs.map((t) => t.text),
        querySource: distinctSources(qs),
        listTokens: ls.map((t) => t.text),
        listSource: distinctSources(ls),
        how: comparison?.how ?? 'unmatched',
        joined: qs.length > 1 || ls.length > 1,
        similarity: pair.similarity,
        jaroWinkler: comparison?.jaroWinkler ?? null,
      });
      if (qs.length === 2) i++;
    }
    return out;
  }
}

/** Sources of adjacent tokens, each word once ("Jin Ping"; "近平" for a token split from one word). */
function distinctSources(tokens: readonly IndexedToken[]): string {
  const out: string[] = [];
  for (const t of tokens) if (out[out.length - 1] !== t.source) out.push(t.source);
  return out.join(' ');
}
