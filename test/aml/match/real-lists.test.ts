// Proves the loaders and the matcher together on the real OFAC SDN and UN consolidated
// files: the whole of both lists in one index, and names written as a customer would
// write them (another order, another script, an alias) find their entries.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ofacPathsIn, readOfacSdn } from '../../../src/aml/screening/lists/ofac.ts';
import { readUnConsolidated } from '../../../src/aml/screening/lists/un.ts';
import { ScreeningIndex } from '../../../src/aml/screening/match/index.ts';
import { SANCTIONS_DIR } from '../sanctions-dir.ts';

const SANCTIONS = SANCTIONS_DIR;
const absent =
  !existsSync(`${SANCTIONS}ofac_sdn/sdn.csv`) || !existsSync(`${SANCTIONS}un/UN_consolidated.xml`);
if (absent) console.warn(`[skip] the sanctions sample files are not in ${SANCTIONS}`);

describe.skipIf(absent)('screening against the real OFAC and UN lists', () => {
  let index: ScreeningIndex;
  let entries = 0;

  beforeAll(async () => {
    const ofac = await readOfacSdn(ofacPathsIn(`${SANCTIONS}ofac_sdn`));
    const un = await readUnConsolidated(`${SANCTIONS}un/UN_consolidated.xml`);
    const all = [...ofac.entries, ...un.entries];
    entries = all.length;
    const started = performance.now();
    index = ScreeningIndex.build(all);
    console.log(
      `[timing] index of ${entries} OFAC + UN entries built in ${Math.round(performance.now() - started)} ms`,
    );
  }, 60_000);

  const best = (name: string, extra: Record<string, string> = {}) => index.screen({ name, ...extra })[0];

  it('holds both lists', () => {
    expect(entries).toBe(7379 + 1003);
  });

  it('finds an entity by its name and by an alias, whatever the legal form', () => {
    expect(best('Banco Nacional de Cuba')?.entry).toMatchObject({ list: 'ofac_sdn', sourceId: '306' });
    expect(best('NATIONAL BANK OF CUBA')?.entry).toMatchObject({ list: 'ofac_sdn', sourceId: '306' });
    expect(best('Anglo-Caribbean Company Limited')?.entry).toMatchObject({ sourceId: '173' });
  });

  it('finds a person written in Chinese characters, in pinyin and in another order', () => {
    // OFAC lists a namesake too; the UN entry must be among the hits, explained.
    for (const name of ['金铁三', 'Jin Tiesan', 'Tiesan Jin', 'Kim Chol Sam']) {
      const hit = index.screen({ name }).find((h) => h.entry.sourceId === 'KPi.035');
      expect(hit?.entry, name).toMatchObject({ list: 'un_consolidated' });
      expect(hit?.score, name).toBeGreaterThanOrEqual(0.85);
      expect(hit?.explanation.tokens.length, name).toBeGreaterThan(0);
    }
  });

  it('lets a different date of birth rule a namesake out', () => {
    const same = index.screen({ name: 'Kim Chol Sam', birthDate: '1971-03-11' });
    const other = index.screen({ name: 'Kim Chol Sam', birthDate: '1990-06-01' });
    const score = (hits: typeof same) => hits.find((h) => h.entry.sourceId === 'KPi.035')?.score ?? 0;
    expect(score(same)).toBeGreaterThan(score(other));
  });

  it('does not hit ordinary names', () => {
    for (const name of ['Wang Fang', 'Li Wei', 'Zhang Xiuying', 'Maria Garcia']) {
      expect(index.screen({ name, type: 'individual' }), name).toEqual([]);
    }
  });
});
