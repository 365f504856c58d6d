// Proves list versions in the database, on PGlite and (when TEST_DATABASE_URL is set) PostgreSQL:
// the first load stores every entry, loading identical content stores nothing and says so, and a
// reload with one entry changed, one removed and one added yields a version whose diff says
// exactly that, while the earlier version can still be read as it was.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofacPathsIn, readOfacSdn } from '../../../src/aml/screening/lists/ofac.ts';
import type { ParsedList } from '../../../src/aml/screening/lists/parsed.ts';
import {
  currentEntries,
  entriesAtVersion,
  type ListVersionMeta,
  listVersions,
  loadListVersion,
} from '../../../src/aml/screening/lists/store.ts';
import { readUnConsolidated } from '../../../src/aml/screening/lists/un.ts';
import type { ListEntry } from '../../../src/aml/screening/types.ts';
import { migrateToLatest } from '../../../src/platform/migrate.ts';
import { DATABASES, freshDatabase } from '../../helpers.ts';
import { SANCTIONS_DIR } from '../sanctions-dir.ts';

const SANCTIONS = SANCTIONS_DIR;
const absent =
  !existsSync(`${SANCTIONS}ofac_sdn/sdn.csv`) || !existsSync(`${SANCTIONS}un/UN_consolidated.xml`);

function meta(parsed: ParsedList, loadedBy = 'stf_test'): ListVersionMeta {
  return { kind: 'sanctions', sourceFormat: parsed.format, loadedBy, sourceFiles: parsed.files };
}

function byId(entries: readonly ListEntry[]): Map<string, ListEntry> {
  return new Map(entries.map((e) => [e.sourceId, e]));
}

function person(list: string, id: string): ListEntry {
  return {
    list,
    sourceId: id,
    type: 'individual',
    names: [{ full: `Person ${id}`, kind: 'primary', script: 'Latn' }],
    birthDates: [],
    nationalities: [],
    countries: [],
    programs: ['TEST'],
    identifiers: [],
  };
}

function small(list: string, ids: string[]): ListEntry[] {
  return ids.map((id) => person(list, id));
}

describe.skipIf(absent).each(DATABASES)('screening list versions on $name', (target) => {
  let handle: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let ofac: ParsedList;
  let un: ParsedList;

  function db() {
    if (!handle) throw new Error('database not open');
    return handle.db;
  }
  async function rowCount(listName: string): Promise<{ all: number; current: number }> {
    const rows = await db()
      .selectFrom('screening_entries as e')
      .innerJoin('screening_lists as l', 'l.id', 'e.list_id')
      .select(['e.valid_to'])
      .where('l.name', '=', listName)
      .execute();
    return { all: rows.length, current: rows.filter((r) => r.valid_to === null).length };
  }

  beforeAll(async () => {
    handle = await freshDatabase(target);
    await migrateToLatest(handle.db);
    ofac = await readOfacSdn(ofacPathsIn(`${SANCTIONS}ofac_sdn`));
    un = await readUnConsolidated(`${SANCTIONS}un/UN_consolidated.xml`);
  });
  afterAll(async () => {
    await handle?.drop();
  });

  it('stores a first version with every entry, and its source files', async () => {
    const startMs = performance.now();
    const result = await loadListVersion(db(), 'ofac_sdn', ofac.entries, meta(ofac));
    console.log(
      `[timing] ${target.name}: stored version 1 of ofac_sdn (${ofac.entries.length} entries) in ${(performance.now() - startMs).toFixed(0)} ms`,
    );
    expect(result).toMatchObject({ outcome: 'created', version: 1, entryCount: 7379 });
    expect(result.listId).toMatch(/^scl_/);
    expect(result.versionId).toMatch(/^slv_/);
    expect(result.diff.added).toHaveLength(7379);
    expect(result.diff.added[0]).toEqual({ sourceId: '36', name: 'AEROCARIBBEAN AIRLINES' });
    expect(result.diff.removed).toEqual([]);
    expect(result.diff.changed).toEqual([]);

    const stored = await currentEntries(db(), 'ofac_sdn');
    expect(stored).toHaveLength(7379);
    const expected = byId(ofac.entries);
    for (const entry of stored) expect(entry).toEqual(expected.get(entry.sourceId));

    const [version] = await listVersions(db(), 'ofac_sdn');
    expect(version).toMatchObject({
      id: result.versionId,
      version: 1,
      loadedBy: 'stf_test',
      entryCount: 7379,
      addedCount: 7379,
      removedCount: 0,
      changedCount: 0,
    });
    expect(version?.sourceFiles).toEqual(ofac.files);
    expect(version?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores nothing when the same content is loaded again, and says so', async () => {
    const before = await rowCount('ofac_sdn');
    // A fresh parse of the same files: equal content, not the same objects.
    const again = await readOfacSdn(ofacPathsIn(`${SANCTIONS}ofac_sdn`));
    const result = await loadListVersion(db(), 'ofac_sdn', again.entries, meta(again, 'stf_other'));
    expect(result).toMatchObject({ outcome: 'unchanged', version: 1, entryCount: 7379 });
    expect(result.diff).toEqual({ added: [], removed: [], changed: [] });
    expect(await rowCount('ofac_sdn')).toEqual(before);
    expect(await listVersions(db(), 'ofac_sdn')).toHaveLength(1);
  });

  it('stores a version with exactly the one change, one removal and one addition', async () => {
    const changedId = '306';
    const removedId = '7150';
    const next = ofac.entries
      .filter((e) => e.sourceId !== removedId)
      .map((e) =>
        e.sourceId === changedId
          ? { ...e, names: [...e.names, { full: 'BNC HAVANA', kind: 'alias' as const, script: 'Latn' }] }
          : e,
      );
    const added: ListEntry = { ...person('ofac_sdn', '99999'), type: 'entity' };
    next.push(added);

    const result = await loadListVersion(db(), 'ofac_sdn', next, meta(ofac));
    expect(result).toMatchObject({ outcome: 'created', version: 2, entryCount: 7379 });
    expect(result.diff).toEqual({
      added: [{ sourceId: '99999', name: 'Person 99999' }],
      removed: [{ sourceId: '7150', name: 'AL-LIBI, Abd al-Muhsin' }],
      changed: [{ sourceId: '306', name: 'BANCO NACIONAL DE CUBA' }],
    });

    // Only what changed was written: two new rows, two closed.
    expect(await rowCount('ofac_sdn')).toEqual({ all: 7379 + 2, current: 7379 });
    const current = byId(await currentEntries(db(), 'ofac_sdn'));
    expect(current.has(removedId)).toBe(false);
    expect(current.get('99999')).toEqual(added);
    expect(current.get(changedId)?.names.map((n) => n.full)).toContain('BNC HAVANA');

    // Version 1 is still readable exactly as it was loaded.
    const first = await entriesAtVersion(db(), 'ofac_sdn', 1);
    expect(first).toHaveLength(7379);
    const original = byId(ofac.entries);
    for (const entry of first) expect(entry).toEqual(original.get(entry.sourceId));

    const versions = await listVersions(db(), 'ofac_sdn');
    expect(
      versions.map((v) => [v.version, v.addedCount, v.removedCount, v.changedCount, v.entryCount]),
    ).toEqual([
      [2, 1, 1, 1, 7379],
      [1, 7379, 0, 0, 7379],
    ]);
    const stored = await db()
      .selectFrom('screening_list_versions')
      .select(['diff'])
      .where('id', '=', result.versionId)
      .executeTakeFirstOrThrow();
    expect(stored.diff).toEqual(result.diff);

    // Going back to the original content is a third version, not a rollback of history.
    const back = await loadListVersion(db(), 'ofac_sdn', ofac.entries, meta(ofac));
    expect(back.version).toBe(3);
    expect(back.diff).toEqual({
      added: [{ sourceId: '7150', name: 'AL-LIBI, Abd al-Muhsin' }],
      removed: [{ sourceId: '99999', name: 'Person 99999' }],
      changed: [{ sourceId: '306', name: 'BANCO NACIONAL DE CUBA' }],
    });
  });

  it('keeps lists apart: the UN list loads beside OFAC', async () => {
    const result = await loadListVersion(db(), 'un_consolidated', un.entries, meta(un));
    expect(result).toMatchObject({ outcome: 'created', version: 1, entryCount: 1003 });
    const stored = byId(await currentEntries(db(), 'un_consolidated'));
    expect(stored.size).toBe(1003);
    expect(stored.get('KPi.035')?.names[2]).toEqual({ full: '金铁三', kind: 'alias', script: 'Hani' });
    expect(await currentEntries(db(), 'ofac_sdn')).toHaveLength(7379);
    expect(await currentEntries(db(), 'never_loaded')).toEqual([]);
  });

  it('refuses a load that does not fit the list', async () => {
    await expect(
      loadListVersion(db(), 'un_consolidated', un.entries, { ...meta(un), kind: 'pep' }),
    ).rejects.toMatchObject({ code: 'SCREENING_LIST_KIND_MISMATCH' });
    await expect(
      loadListVersion(db(), 'un_consolidated', un.entries, { ...meta(un), sourceFormat: 'generic_csv' }),
    ).rejects.toMatchObject({ code: 'SCREENING_LIST_FORMAT_MISMATCH' });
    await expect(loadListVersion(db(), 'ofac_sdn', un.entries, meta(un))).rejects.toMatchObject({
      code: 'SCREENING_LIST_WRONG_LIST',
    });
    await expect(loadListVersion(db(), 'ofac_sdn', [], meta(ofac))).rejects.toMatchObject({
      code: 'SCREENING_LIST_EMPTY',
    });
    await expect(loadListVersion(db(), 'OFAC SDN', [], meta(ofac))).rejects.toMatchObject({
      code: 'SCREENING_LIST_BAD_NAME',
    });
    const twice = small('internal_watch', ['1', '1']);
    await expect(
      loadListVersion(db(), 'internal_watch', twice, {
        ...meta(ofac),
        kind: 'internal',
        sourceFormat: 'generic_csv',
      }),
    ).rejects.toMatchObject({ code: 'SCREENING_LIST_DUPLICATE_ID' });
    // Nothing of the refused loads was stored.
    expect(await listVersions(db(), 'un_consolidated')).toHaveLength(1);
    expect(await listVersions(db(), 'internal_watch')).toEqual([]);
  });

  it('empties a list only when asked to', async () => {
    const watch: ListVersionMeta = {
      kind: 'internal',
      sourceFormat: 'generic_csv',
      loadedBy: 'stf_test',
      sourceFiles: [],
    };
    await loadListVersion(db(), 'internal_empty', small('internal_empty', ['a', 'b']), watch);
    const emptied = await loadListVersion(db(), 'internal_empty', [], { ...watch, allowEmpty: true });
    expect(emptied).toMatchObject({ outcome: 'created', version: 2, entryCount: 0 });
    expect(emptied.diff.removed.map((r) => r.sourceId)).toEqual(['a', 'b']);
    expect(await currentEntries(db(), 'internal_empty')).toEqual([]);
  });

  it('refuses an update that removes more than a fifth of the list unless confirmed', async () => {
    const watch: ListVersionMeta = {
      kind: 'internal',
      sourceFormat: 'generic_csv',
      loadedBy: 'stf_test',
      sourceFiles: [],
    };
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    await loadListVersion(db(), 'internal_shrink', small('internal_shrink', ids), watch);
    // Two of ten removed is within the limit; three more of the remaining eight is not.
    const within = await loadListVersion(
      db(),
      'internal_shrink',
      small('internal_shrink', ids.slice(2)),
      watch,
    );
    expect(within).toMatchObject({ outcome: 'created', version: 2 });
    await expect(
      loadListVersion(db(), 'internal_shrink', small('internal_shrink', ids.slice(5)), watch),
    ).rejects.toMatchObject({ code: 'SCREENING_LIST_SHRINK' });
    expect((await currentEntries(db(), 'internal_shrink')).length).toBe(8);
    const confirmed = await loadListVersion(db(), 'internal_shrink', small('internal_shrink', ids.slice(5)), {
      ...watch,
      confirmShrink: true,
    });
    expect(confirmed).toMatchObject({ outcome: 'created', version: 3, entryCount: 5 });
  });

  it('runs concurrent loads of one list one after the other', async () => {
    const watch: ListVersionMeta = {
      kind: 'internal',
      sourceFormat: 'generic_jsonl',
      loadedBy: 'job',
      sourceFiles: [],
    };
    const entries = small('internal_race', ['1', '2', '3']);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => loadListVersion(db(), 'internal_race', entries, watch)),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'unchanged', 'unchanged', 'unchanged']);
    expect(new Set(results.map((r) => r.versionId)).size).toBe(1);
    expect(await rowCount('internal_race')).toEqual({ all: 3, current: 3 });
  });
});
