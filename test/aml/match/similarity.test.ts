// Proves the similarity primitives: Jaro and Jaro-Winkler reproduce the published reference values (Winkler 1990 and the textbook pairs) and behave as similarities (symmetric, bounded, 1 only for equal strings); the one-edit test and the length penalty separate typos from other names; and the token-set assignment is order-independent, tolerates a missing middle name only as an omission, and reads joined and split words alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lengthAdjusted, withinOneEdit } from '../../../src/aml/screening/match/compare.ts';
import {
  jaro,
  jaroWinkler,
  type PairScorer,
  tokenSetSimilarity,
} from '../../../src/aml/screening/match/similarity.ts';

describe('Jaro and Jaro-Winkler', () => {
  it.each([
    ['MARTHA', 'MARHTA', 0.944, 0.961],
    ['DWAYNE', 'DUANE', 0.822, 0.84],
    ['DIXON', 'DICKSONX', 0.767, 0.813],
    ['JELLYFISH', 'SMELLYFISH', 0.896, 0.896],
    ['CRATE', 'TRACE', 0.733, 0.733],
  ])('%s / %s: Jaro %f, Jaro-Winkler %f', (a, b, j, jw) => {
    expect(jaro(a, b)).toBeCloseTo(j, 3);
    expect(jaroWinkler(a, b)).toBeCloseTo(jw, 3);
  });

  it('is 1 for equal strings, 0 with nothing in common or an empty side', () => {
    expect(jaroWinkler('putin', 'putin')).toBe(1);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('', 'abc')).toBe(0);
    expect(jaroWinkler('', '')).toBe(1);
  });

  it('is symmetric, within [0, 1], and 1 only for equal strings', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdehilmnorstu'), maxLength: 12 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        const ab = jaroWinkler(a, b);
        expect(ab).toBeCloseTo(jaroWinkler(b, a), 12);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
        if (a !== b) expect(ab).toBeLessThan(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('typo tests', () => {
  it('one edit: a letter replaced, dropped, added, or two swapped', () => {
    expect(withinOneEdit('ayman', 'anman')).toBe(true);
    expect(withinOneEdit('watson', 'wtason')).toBe(true);
    expect(withinOneEdit('jose', 'joose')).toBe(true);
    expect(withinOneEdit('laden', 'ladn')).toBe(true);
    expect(withinOneEdit('laden', 'laden')).toBe(true);
    expect(withinOneEdit('smith', 'smithson')).toBe(false);
    expect(withinOneEdit('junhai', 'junxia')).toBe(false);
  });

  it('the length penalty sinks extensions and spares a dropped letter', () => {
    expect(jaroWinkler('smith', 'smithson')).toBeCloseTo(0.925, 3);
    expect(lengthAdjusted(jaroWinkler('smith', 'smithson'), 'smith', 'smithson')).toBeLessThan(0.85);
    expect(lengthAdjusted(jaroWinkler('jose', 'joose'), 'jose', 'joose')).toBeGreaterThan(0.9);
  });
});

/** A scorer over plain words: 1 for equal words, 0.9 for the listed near pairs, joins by concatenation. */
function wordScorer(q: string[], l: string[], near: Array<[string, string]> = []): PairScorer {
  const sim = (a: string, b: string) =>
    a === b ? 1 : near.some(([x, y]) => (x === a && y === b) || (x === b && y === a)) ? 0.9 : 0;
  return {
    single: (i, j) => sim(q[i] ?? '', l[j] ?? ''),
    listJoined: (i, j) => sim(q[i] ?? '', (l[j] ?? '') + (l[j + 1] ?? '')),
    queryJoined: (i, j) => sim((q[i] ?? '') + (q[i + 1] ?? ''), l[j] ?? ''),
  };
}

function score(q: string[], l: string[], near: Array<[string, string]> = [], tolerate = true) {
  const weights = (xs: string[]) => xs.map(() => ({ weight: 1 }));
  return tokenSetSimilarity(weights(q), weights(l), wordScorer(q, l, near), tolerate);
}

describe('token-set similarity', () => {
  it('does not depend on the order of the tokens', () => {
    const names = fc.shuffledSubarray(['vladimir', 'vladimirovich', 'putin', 'osama', 'laden'], {
      minLength: 1,
    });
    fc.assert(
      fc.property(names, names, (q, l) => {
        const forward = score(q, l).score;
        expect(score([...q].reverse(), l).score).toBeCloseTo(forward, 12);
        expect(score(q, [...l].reverse()).score).toBeCloseTo(forward, 12);
      }),
      { numRuns: 200 },
    );
    expect(score(['putin', 'vladimir'], ['vladimir', 'putin']).score).toBe(1);
  });

  it('a missing middle name counts half; a different one counts in full', () => {
    // 4 matched weight / (4 + 0.5 × 1)
    expect(score(['vladimir', 'putin'], ['vladimir', 'vladimirovich', 'putin']).score).toBeCloseTo(
      4 / 4.5,
      12,
    );
    // Both sides have a word the other lacks: 4 / (4 + 1 + 1).
    expect(score(['ahmad', 'imad', 'khalil'], ['ahmad', 'omar', 'khalil']).score).toBeCloseTo(4 / 6, 12);
    // Organisations: every extra word counts in full.
    expect(score(['global', 'chemicals'], ['global', 'pioneer', 'chemicals'], [], false).score).toBeCloseTo(
      4 / 5,
      12,
    );
    // One word in common out of two is not a match: 2 / (2 + 1 + 1).
    expect(score(['john', 'smith'], ['john', 'doe']).score).toBeCloseTo(0.5, 12);
  });

  it('reads a word written joined on one side and split on the other', () => {
    const joined = score(['xi', 'jinping'], ['xi', 'jin', 'ping']);
    expect(joined.score).toBe(1);
    expect(joined.pairs).toContainEqual({ query: [1], list: [1, 2], similarity: 1 });
    const split = score(['abdul', 'rahman'], ['abdulrahman']);
    expect(split.score).toBe(1);
    expect(split.pairs).toEqual([{ query: [0, 1], list: [0], similarity: 1 }]);
  });

  it('finds the best assignment where a greedy one would not', () => {
    // Taking the exact pair first (jon = jon) would leave "jonny" nothing; pairing each
    // query word with its near match instead matches both.
    const near: Array<[string, string]> = [
      ['jon', 'john'],
      ['jonny', 'jon'],
    ];
    const r = score(['jon', 'jonny'], ['jon', 'john'], near);
    expect(r.pairs).toEqual([
      { query: [0], list: [1], similarity: 0.9 },
      { query: [1], list: [0], similarity: 0.9 },
    ]);
    expect(r.unmatchedQuery).toEqual([]);
    expect(r.score).toBeCloseTo(0.9, 12);
  });
});
