// Proves the screening index on a hand-built list: it finds a listed name in another order, in Cyrillic, in Chinese characters against pinyin (joined or split) and back, in Arabic script, with typos, initials and a missing middle name; secondary attributes add and remove the stated points (a date of birth in another year takes a perfect name below the threshold); every hit explains each query token truthfully; look-alikes of "John Smith" do not hit; and retrieval finds what comparing with every name finds.
import { describe, expect, it } from 'vitest';
import {
  DOB_MATCH_POINTS,
  DOB_MISMATCH_POINTS,
  DOB_YEAR_MATCH_POINTS,
  NATIONALITY_MISMATCH_POINTS,
  TYPE_MISMATCH_POINTS,
  WEAK_ALIAS_POINTS,
} from '../../../src/aml/screening/match/attributes.ts';
import {
  DEFAULT_THRESHOLD,
  type Hit,
  MAX_BATCH_QUERIES,
  ScreeningIndex,
  type ScreeningQuery,
} from '../../../src/aml/screening/match/index.ts';
import { normalizeName } from '../../../src/aml/screening/match/normalize.ts';
import { jaroWinkler } from '../../../src/aml/screening/match/similarity.ts';
import { byId, entry, LIST } from './fixtures.ts';

const index = ScreeningIndex.build(LIST);

function hitOn(query: ScreeningQuery, sourceId: string, threshold = DEFAULT_THRESHOLD): Hit | undefined {
  return index.screen(query, { threshold }).find((h) => h.entry.sourceId === sourceId);
}

function mustHit(query: ScreeningQuery, sourceId: string): Hit {
  const hit = hitOn(query, sourceId);
  if (!hit) throw new Error(`${JSON.stringify(query)} did not hit ${sourceId}`);
  return hit;
}

/** Query token → [list tokens, how] from a hit's explanation. */
function matches(hit: Hit): Record<string, [string, string]> {
  return Object.fromEntries(
    hit.explanation.tokens.map((t) => [t.queryTokens.join('+'), [t.listTokens.join('+'), t.how]]),
  );
}

describe('names in other orders and scripts', () => {
  it('order does not matter: "PUTIN Vladimir" scores as "Vladimir Putin"', () => {
    const a = mustHit({ name: 'Vladimir Putin' }, 'putin');
    const b = mustHit({ name: 'PUTIN Vladimir' }, 'putin');
    expect(b.score).toBe(a.score);
    expect(matches(b)).toEqual({ putin: ['putin', 'exact'], vladimir: ['vladimir', 'exact'] });
    // The patronymic is left out: tolerated, at half weight.
    expect(a.explanation.unmatchedListTokens).toEqual(['vladimirovich']);
    expect(a.score).toBeCloseTo(4 / 4.5, 9);
  });

  it('a Cyrillic query matches the Latin list name, as transliterated', () => {
    // The entry's Cyrillic native name transliterates to the same tokens as its primary, so
    // the index keeps the primary (Latin) and the match is a transliteration.
    const hit = mustHit({ name: 'Владимир Путин' }, 'putin');
    expect(hit.name.full).toBe('PUTIN, Vladimir Vladimirovich');
    expect(matches(hit)).toEqual({
      vladimir: ['vladimir', 'transliterated'],
      putin: ['putin', 'transliterated'],
    });
    expect(hit.explanation.tokens.map((t) => t.querySource)).toEqual(['Владимир', 'Путин']);
  });

  it('Chinese characters match a pinyin list name written split ("XI Jin Ping")', () => {
    const hit = mustHit({ name: '习近平' }, 'xi-split');
    expect(hit.score).toBe(1);
    const given = hit.explanation.tokens[1];
    expect(given).toMatchObject({
      queryTokens: ['jinping'],
      querySource: '近平',
      listTokens: ['jin', 'ping'],
      listSource: 'Jin Ping',
      how: 'transliterated',
      joined: true,
    });
    expect(mustHit({ name: 'Xi Jinping' }, 'xi-split').score).toBe(1);
  });

  it('pinyin matches a list name written only in Chinese characters', () => {
    const hit = mustHit({ name: 'Li Xiaolong' }, 'han-only');
    expect(matches(hit)).toEqual({ li: ['li', 'transliterated'], xiaolong: ['xiaolong', 'transliterated'] });
    expect(mustHit({ name: 'Li Xiao Long' }, 'han-only').score).toBe(1);
  });

  it('Arabic script matches Latin spellings by consonant skeleton', () => {
    const hit = mustHit({ name: 'أسامة بن لادن' }, 'bin-laden');
    expect(matches(hit)).toEqual({
      sm: ['osama', 'transliterated'],
      bn: ['bin', 'transliterated'],
      ldn: ['laden', 'transliterated'],
    });
    // The same word in Arabic script against the list's Arabic native name is exact.
    expect(matches(mustHit({ name: 'القاعدة', type: 'entity' }, 'al-qaida'))).toEqual({
      lqd: ['lqd', 'exact'],
    });
  });
});

describe('spelling variants', () => {
  it('typos: "Usama bin Ladin" against "Osama bin Laden", phonetically', () => {
    const hit = mustHit({ name: 'Usama bin Ladin' }, 'bin-laden');
    // "Usama bin Muhammad bin Awad BIN LADIN" shares more, but the omission of three words
    // costs it; the two-word primary wins.
    expect(hit.name.full).toBe('BIN LADEN, Osama');
    expect(matches(hit)).toEqual({
      usama: ['osama', 'phonetic'],
      bin: ['bin', 'exact'],
      ladin: ['laden', 'phonetic'],
    });
    const ladin = hit.explanation.tokens[2];
    expect(ladin?.jaroWinkler).toBeCloseTo(jaroWinkler('ladin', 'laden'), 12);
  });

  it('a one-letter typo in a four-letter word is found and matched as fuzzy', () => {
    const hit = mustHit({ name: 'Ronald Knig' }, 'king');
    expect(matches(hit).knig).toEqual(['king', 'fuzzy']);
  });

  it('an initial stands for a given name, on either side', () => {
    const hit = mustHit({ name: 'V. Putin', birthDate: '1952-10-07' }, 'putin');
    expect(matches(hit).v).toEqual(['vladimir', 'initial']);
    const initials = ScreeningIndex.build([entry('vp', 'individual', ['V. V. PUTIN'])]);
    const back = initials.screen({ name: 'Vladimir Vladimirovich Putin' })[0];
    expect(back?.explanation.tokens.map((t) => [t.queryTokens[0], t.listTokens[0], t.how])).toEqual([
      ['vladimir', 'v', 'initial'],
      ['vladimirovich', 'v', 'initial'],
      ['putin', 'putin', 'exact'],
    ]);
  });

  it('legal forms do not matter, in English or Chinese', () => {
    expect(mustHit({ name: 'Acme Trading Company Limited', type: 'entity' }, 'acme').score).toBe(1);
    const cnpc = mustHit({ name: '中国石油天然气股份有限公司', type: 'entity' }, 'cnpc');
    expect(cnpc.score).toBe(1);
    expect(cnpc.explanation.droppedFromQuery).toEqual([{ word: '股份有限公司', reason: 'legal_form' }]);
    expect(cnpc.explanation.droppedFromListName).toEqual([
      { word: '有限公司', reason: 'legal_form' },
      { word: '集团', reason: 'legal_form' },
    ]);
  });

  it('a different middle name is a conflict, not an omission', () => {
    expect(hitOn({ name: 'Ahmad bin Omar Khalil' }, 'khalil')?.score).toBe(1);
    expect(hitOn({ name: 'Ahmad bin Imad Khalil' }, 'khalil')).toBeUndefined();
  });
});

describe('secondary attributes', () => {
  it('a date of birth in another year takes a perfect name below the threshold', () => {
    const name = 'Jin Ping Xi';
    const same = mustHit({ name, birthDate: '1953-06-15' }, 'xi-split');
    expect(same.score).toBe(1);
    expect(same.explanation.attributes).toContainEqual({
      attribute: 'birthDate',
      outcome: 'match',
      query: '1953-06-15',
      list: '1953-06-15',
      points: DOB_MATCH_POINTS,
    });
    expect(hitOn({ name, birthDate: '1971-02-03' }, 'xi-split')).toBeUndefined();
    const low = hitOn({ name, birthDate: '1971-02-03' }, 'xi-split', 0.5);
    expect(low?.score).toBeCloseTo(1 + DOB_MISMATCH_POINTS, 9);
    expect(low?.explanation.attributes).toContainEqual({
      attribute: 'birthDate',
      outcome: 'mismatch',
      query: '1971-02-03',
      list: '1953-06-15',
      points: DOB_MISMATCH_POINTS,
    });
  });

  it('lowers a typo match below the threshold too ("Usama bin Ladin", born 1970)', () => {
    const without = mustHit({ name: 'Usama bin Ladin' }, 'bin-laden');
    expect(hitOn({ name: 'Usama bin Ladin', birthDate: '1970-01-01' }, 'bin-laden')).toBeUndefined();
    const low = hitOn({ name: 'Usama bin Ladin', birthDate: '1970-01-01' }, 'bin-laden', 0.5);
    expect(low?.score).toBeCloseTo(without.score + DOB_MISMATCH_POINTS, 9);
  });

  it('compares by year when only a year is listed', () => {
    const hit = mustHit({ name: 'Osama bin Laden', birthDate: '1957-03-10' }, 'bin-laden');
    expect(hit.explanation.attributes).toContainEqual({
      attribute: 'birthDate',
      outcome: 'year_match',
      query: '1957-03-10',
      list: '1957',
      points: DOB_YEAR_MATCH_POINTS,
    });
  });

  it('nationality and type mismatches remove their points', () => {
    const hit = hitOn({ name: 'Vladimir Putin', nationality: 'FR', type: 'entity' }, 'putin', 0.3);
    expect(hit?.explanation.attributes).toEqual([
      {
        attribute: 'type',
        outcome: 'mismatch',
        query: 'entity',
        list: 'individual',
        points: TYPE_MISMATCH_POINTS,
      },
      {
        attribute: 'nationality',
        outcome: 'mismatch',
        query: 'FR',
        list: 'RU',
        points: NATIONALITY_MISMATCH_POINTS,
      },
    ]);
    // Screened as an organisation, the left-out patronymic counts in full: 4 / (4 + 1).
    expect(hit?.explanation.nameScore).toBeCloseTo(0.8, 9);
    expect(hit?.score).toBeCloseTo(0.8 + TYPE_MISMATCH_POINTS + NATIONALITY_MISMATCH_POINTS, 9);
  });

  it('a weak alias counts less', () => {
    const hit = hitOn({ name: 'The Base', type: 'entity' }, 'al-qaida', 0.5);
    expect(hit?.name.kind).toBe('weak_alias');
    expect(hit?.explanation.attributes).toContainEqual(expect.objectContaining({ outcome: 'weak_alias' }));
    expect(hit?.score).toBeCloseTo(1 + WEAK_ALIAS_POINTS, 9);
  });
});

describe('explanations', () => {
  const queries: ScreeningQuery[] = [
    { name: 'Usama bin Ladin', birthDate: '1957', nationality: 'SA' },
    { name: '习近平', type: 'individual' },
    { name: 'V. Putin' },
    { name: 'أسامة بن لادن' },
    { name: 'Ronald Knig', birthDate: '1988-07-19' },
  ];

  it('account for every query token once, name only real list tokens, and add up to the score', () => {
    for (const query of queries) {
      const hits = index.screen(query, { threshold: 0.5 });
      expect(hits.length, query.name).toBeGreaterThan(0);
      const queryTokens = normalizeName(query.name, query.type ? { type: query.type } : {}).tokens.map(
        (t) => t.text,
      );
      for (const hit of hits) {
        const e = hit.explanation;
        expect(e.tokens.flatMap((t) => t.queryTokens)).toEqual(queryTokens);
        const listTokens = normalizeName(hit.name.full, { type: hit.entry.type }).tokens.map((t) => t.text);
        const used = e.tokens.flatMap((t) => t.listTokens);
        expect([...used, ...e.unmatchedListTokens].sort()).toEqual([...listTokens].sort());
        for (const t of e.tokens) {
          if (t.how === 'unmatched') {
            expect(t.listTokens).toEqual([]);
            expect(t.similarity).toBe(0);
            continue;
          }
          expect(t.similarity).toBeGreaterThan(0);
          expect(t.similarity).toBeLessThanOrEqual(1);
          expect(t.joined).toBe(t.queryTokens.length > 1 || t.listTokens.length > 1);
          if (!t.joined) {
            expect(t.jaroWinkler).toBeCloseTo(jaroWinkler(t.queryTokens[0] ?? '', t.listTokens[0] ?? ''), 12);
          }
          if (t.how === 'exact' || (t.how === 'transliterated' && t.similarity === 1)) {
            expect(t.queryTokens.join('')).toBe(t.listTokens.join(''));
          }
        }
        const points = e.attributes.reduce((sum, a) => sum + a.points, 0);
        expect(hit.score).toBeCloseTo(Math.max(0, Math.min(1, e.nameScore + points)), 9);
      }
    }
  });
});

describe('false positives', () => {
  it('"John Smith" does not hit look-alikes at the default threshold', () => {
    const hits = index.screen({ name: 'John Smith' });
    expect(hits.map((h) => h.entry.sourceId)).toEqual([]);
    expect(index.screen({ name: 'John Smith', type: 'individual', birthDate: '1960' })).toEqual([]);
  });

  it('but does hit a listed John Smith, and the look-alikes stay below it', () => {
    const withSmith = ScreeningIndex.build([...LIST, entry('john-smith', 'individual', ['SMITH, John'])]);
    const hits = withSmith.screen({ name: 'John Smith' }, { threshold: 0.5 });
    expect(hits[0]?.entry.sourceId).toBe('john-smith');
    expect(hits[0]?.score).toBe(1);
    for (const h of hits.slice(1)) expect(h.score).toBeLessThan(DEFAULT_THRESHOLD);
  });
});

describe('the index', () => {
  it('returns what comparing with every name returns', () => {
    const queries: ScreeningQuery[] = [
      { name: 'Vladimir Putin' },
      { name: 'Usama bin Ladin' },
      { name: '习近平' },
      { name: 'John Smith' },
      { name: 'Ronald Knig' },
      { name: 'أسامة بن لادن' },
      { name: 'Acme Trading', type: 'entity' },
      { name: 'V. Putin' },
      { name: 'Li Xiao Long' },
    ];
    for (const query of queries) {
      for (const threshold of [0.5, DEFAULT_THRESHOLD]) {
        const ids = (hits: Hit[]) => hits.map((h) => `${h.entry.sourceId}:${h.score.toFixed(6)}`);
        expect(ids(index.screen(query, { threshold })), query.name).toEqual(
          ids(index.screen(query, { threshold, exhaustive: true })),
        );
      }
    }
  });

  it('screens a batch in order, and bounds its inputs', () => {
    const answers = index.screenBatch([
      { name: 'Vladimir Putin' },
      { name: 'nobody at all' },
      { name: '习近平' },
    ]);
    expect(answers.map((hits) => hits[0]?.entry.sourceId)).toEqual(['putin', undefined, 'xi-split']);
    expect(() =>
      index.screenBatch(Array.from({ length: MAX_BATCH_QUERIES + 1 }, () => ({ name: 'x' }))),
    ).toThrow(RangeError);
    expect(() => index.screen({ name: 'x' }, { threshold: 0 })).toThrow(RangeError);
    expect(() => index.screen({ name: 'x' }, { maxCandidates: 0 })).toThrow(RangeError);
    expect(index.screen({ name: '' })).toEqual([]);
  });

  it('keeps the entry a hit points to, untouched', () => {
    const hit = mustHit({ name: 'Osama bin Laden' }, 'bin-laden');
    expect(hit.entry).toBe(byId('bin-laden'));
  });
});
