/**
 * List versions in the database. `loadListVersion` compares the entries a loader produced
 * with the list's current version, by source id and a hash of each entry's content, and in
 * one transaction stores a new version with only what changed: added entries and the new
 * content of changed ones are inserted, removed and replaced ones are closed (`valid_to`).
 * Loading the same content again stores nothing and answers `unchanged`.
 *
 * The list's row is locked for the whole load, so two loads of one list (two operators,
 * or a retried scheduled job) run one after the other: the second compares against what
 * the first stored and, given the same file, finds nothing to do.
 */

import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type CanonicalValue, canonicalJson } from '../../../platform/canonical-json.ts';
import type { Db, Executor, Tx } from '../../../platform/db.ts';
import { newId } from '../../../platform/ids.ts';
import type { ListDiff, ListDiffItem, ScreeningListsTable } from '../tables.ts';
import type { EntityType, ListEntry } from '../types.ts';
import { ScreeningListError, show } from './errors.ts';
import { LIST_ENTRIES_MAX, type SourceFormat } from './parsed.ts';
import type { SourceFile } from './source.ts';

export type ListKind = ScreeningListsTable['kind'];

export interface ListVersionMeta {
  kind: ListKind;
  sourceFormat: SourceFormat;
  /** Who loaded it: a staff id, or the job's name for a scheduled update. */
  loadedBy: string;
  /** The files the entries came from, with their hashes (`ParsedList.files`). */
  sourceFiles: readonly SourceFile[];
  loadedAt?: Date;
  /**
   * Accepts a load without entries. Refused otherwise: an empty file is far more often a
   * failed download than a list whose every entry was delisted, and loading it would
   * remove every entry at once.
   */
  allowEmpty?: boolean;
  /**
   * The largest share of the current entries one update may remove (default 0.2). A bigger
   * cut is refused (`SCREENING_LIST_SHRINK`, nothing stored) unless `confirmShrink` is set:
   * a partial download must not delist hundreds of sanctioned parties silently.
   */
  maxRemovedShare?: number;
  confirmShrink?: boolean;
}

/** The default of `ListVersionMeta.maxRemovedShare`. */
export const MAX_REMOVED_SHARE = 0.2;

export interface ListVersionResult {
  /** `unchanged`: the content equals the current version's; nothing was stored. */
  outcome: 'created' | 'unchanged';
  listId: string;
  /** The version created, or the current one when unchanged. */
  versionId: string;
  version: number;
  entryCount: number;
  /** Against the previous version; empty when unchanged. */
  diff: ListDiff;
}

export interface ListVersionSummary {
  id: string;
  version: number;
  loadedAt: Date;
  loadedBy: string;
  sourceFiles: SourceFile[];
  contentHash: string;
  entryCount: number;
  addedCount: number;
  removedCount: number;
  changedCount: number;
}

const LIST_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const SOURCE_ID_LENGTH_MAX = 200;
const ENTITY_TYPES: ReadonlySet<EntityType> = new Set([
  'individual',
  'entity',
  'vessel',
  'aircraft',
  'unknown',
]);
/** Rows per INSERT: 7 parameters each stays far below PostgreSQL's 65,535. */
const INSERT_BATCH = 500;
const UPDATE_BATCH = 1000;

export async function loadListVersion(
  db: Db,
  listName: string,
  entries: readonly ListEntry[],
  meta: ListVersionMeta,
): Promise<ListVersionResult> {
  const hashes = checkEntries(listName, entries, meta);
  const loadedAt = meta.loadedAt ?? new Date();
  return db.transaction().execute(async (tx) => {
    const list = await lockList(tx, listName, meta, loadedAt);
    const latest = await tx
      .selectFrom('screening_list_versions')
      .select(['id', 'version'])
      .where('list_id', '=', list.id)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    const current = await tx
      .selectFrom('screening_entries')
      .select(['source_id', 'content_hash', sql<string>`entry->'names'->0->>'full'`.as('name')])
      .where('list_id', '=', list.id)
      .where('valid_to', 'is', null)
      .orderBy('source_id')
      .execute();

    const diff = compare(entries, hashes, current);
    const maxShare = meta.maxRemovedShare ?? MAX_REMOVED_SHARE;
    // Emptying a list on purpose (allowEmpty with no entries) is its own confirmation.
    const confirmed = meta.confirmShrink === true || (meta.allowEmpty === true && entries.length === 0);
    if (current.length > 0 && diff.removed.length > current.length * maxShare && !confirmed) {
      throw new ScreeningListError(
        'SCREENING_LIST_SHRINK',
        `this update removes ${diff.removed.length} of ${current.length} entries of ${listName} (more than ${Math.round(maxShare * 100)}%); confirm it to store it`,
      );
    }
    const changes = diff.added.length + diff.removed.length + diff.changed.length;
    if (latest !== undefined && changes === 0) {
      return {
        outcome: 'unchanged',
        listId: list.id,
        versionId: latest.id,
        version: latest.version,
        entryCount: current.length,
        diff,
      };
    }

    const version = (latest?.version ?? 0) + 1;
    const versionId = newId('slv');
    await tx
      .insertInto('screening_list_versions')
      .values({
        id: versionId,
        list_id: list.id,
        version,
        loaded_at: loadedAt,
        loaded_by: meta.loadedBy,
        source_files: JSON.stringify(meta.sourceFiles),
        content_hash: contentHash(entries, hashes),
        entry_count: entries.length,
        added_count: diff.added.length,
        removed_count: diff.removed.length,
        changed_count: diff.changed.length,
        diff: JSON.stringify(diff),
      })
      .execute();

    const retired = [...diff.removed, ...diff.changed].map((item) => item.sourceId);
    for (let i = 0; i < retired.length; i += UPDATE_BATCH) {
      await tx
        .updateTable('screening_entries')
        .set({ valid_to: version })
        .where('list_id', '=', list.id)
        .where('valid_to', 'is', null)
        .where('source_id', 'in', retired.slice(i, i + UPDATE_BATCH))
        .execute();
    }
    const fresh = new Set([...diff.added, ...diff.changed].map((item) => item.sourceId));
    const rows = entries
      .map((entry, i) => ({ entry, hash: hashes[i] ?? '' }))
      .filter(({ entry }) => fresh.has(entry.sourceId))
      .map(({ entry, hash }) => ({
        list_id: list.id,
        version_id: versionId,
        source_id: entry.sourceId,
        type: entry.type,
        entry: JSON.stringify(entry),
        content_hash: hash,
        valid_from: version,
      }));
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await tx
        .insertInto('screening_entries')
        .values(rows.slice(i, i + INSERT_BATCH))
        .execute();
    }
    return { outcome: 'created', listId: list.id, versionId, version, entryCount: entries.length, diff };
  });
}

/** The entries of the list's current version, by source id; empty for a list never loaded. */
export async function currentEntries(db: Executor, listName: string): Promise<ListEntry[]> {
  const rows = await db
    .selectFrom('screening_entries as e')
    .innerJoin('screening_lists as l', 'l.id', 'e.list_id')
    .select('e.entry')
    .where('l.name', '=', listName)
    .where('e.valid_to', 'is', null)
    .orderBy('e.source_id')
    .execute();
  return rows.map((row) => row.entry);
}

/** The entries as they were in `version` of the list, by source id. */
export async function entriesAtVersion(
  db: Executor,
  listName: string,
  version: number,
): Promise<ListEntry[]> {
  const rows = await db
    .selectFrom('screening_entries as e')
    .innerJoin('screening_lists as l', 'l.id', 'e.list_id')
    .select('e.entry')
    .where('l.name', '=', listName)
    .where('e.valid_from', '<=', version)
    .where((eb) => eb.or([eb('e.valid_to', 'is', null), eb('e.valid_to', '>', version)]))
    .orderBy('e.source_id')
    .execute();
  return rows.map((row) => row.entry);
}

/** The list's versions, newest first. */
export async function listVersions(db: Executor, listName: string): Promise<ListVersionSummary[]> {
  const rows = await db
    .selectFrom('screening_list_versions as v')
    .innerJoin('screening_lists as l', 'l.id', 'v.list_id')
    .selectAll('v')
    .where('l.name', '=', listName)
    .orderBy('v.version', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    version: row.version,
    loadedAt: row.loaded_at,
    loadedBy: row.loaded_by,
    sourceFiles: row.source_files,
    contentHash: row.content_hash,
    entryCount: row.entry_count,
    addedCount: row.added_count,
    removedCount: row.removed_count,
    changedCount: row.changed_count,
  }));
}

/** Creates the list on its first load, then locks its row for the rest of the transaction. */
async function lockList(tx: Tx, listName: string, meta: ListVersionMeta, now: Date) {
  await tx
    .insertInto('screening_lists')
    .values({
      id: newId('scl'),
      name: listName,
      kind: meta.kind,
      source_format: meta.sourceFormat,
      created_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const list = await tx
    .selectFrom('screening_lists')
    .selectAll()
    .where('name', '=', listName)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (list.kind !== meta.kind) {
    throw new ScreeningListError(
      'SCREENING_LIST_KIND_MISMATCH',
      `list ${listName} is a ${list.kind} list, not ${meta.kind}`,
    );
  }
  // Source ids are only comparable within one format: an OFAC ent_num is not a UN reference.
  if (list.source_format !== meta.sourceFormat) {
    throw new ScreeningListError(
      'SCREENING_LIST_FORMAT_MISMATCH',
      `list ${listName} is loaded from ${list.source_format}, not ${meta.sourceFormat}`,
    );
  }
  return list;
}

/** Checks what a caller hands in (it may not come from our loaders) and hashes each entry. */
function checkEntries(listName: string, entries: readonly ListEntry[], meta: ListVersionMeta): string[] {
  if (!LIST_NAME.test(listName)) {
    throw new ScreeningListError(
      'SCREENING_LIST_BAD_NAME',
      `${show(listName)} is not a list name (lower-case letters, digits and _, starting with a letter)`,
    );
  }
  if (entries.length > LIST_ENTRIES_MAX) {
    throw new ScreeningListError(
      'SCREENING_LIST_TOO_LARGE',
      `${entries.length} entries, more than the limit of ${LIST_ENTRIES_MAX}`,
    );
  }
  if (entries.length === 0 && meta.allowEmpty !== true) {
    throw new ScreeningListError(
      'SCREENING_LIST_EMPTY',
      `no entries for ${listName}; pass allowEmpty to store an empty version`,
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (entry.list !== listName) {
      throw new ScreeningListError(
        'SCREENING_LIST_WRONG_LIST',
        `entry ${show(entry.sourceId)} belongs to ${show(entry.list)}, not ${listName}`,
      );
    }
    if (entry.sourceId.trim() === '' || entry.sourceId.length > SOURCE_ID_LENGTH_MAX) {
      throw new ScreeningListError('SCREENING_LIST_BAD_ID', `${show(entry.sourceId)} is not a source id`);
    }
    if (seen.has(entry.sourceId)) {
      throw new ScreeningListError(
        'SCREENING_LIST_DUPLICATE_ID',
        `source id ${show(entry.sourceId)} appears twice`,
      );
    }
    seen.add(entry.sourceId);
    if (entry.names.length === 0 || entry.names[0]?.full.trim() === '') {
      throw new ScreeningListError(
        'SCREENING_LIST_MISSING_NAME',
        `entry ${show(entry.sourceId)} has no name`,
      );
    }
    if (!ENTITY_TYPES.has(entry.type)) {
      throw new ScreeningListError(
        'SCREENING_LIST_BAD_VALUE',
        `entry ${show(entry.sourceId)}: type ${show(entry.type)}`,
      );
    }
    return entryHash(entry);
  });
}

function compare(
  entries: readonly ListEntry[],
  hashes: readonly string[],
  current: ReadonlyArray<{ source_id: string; content_hash: string; name: string | null }>,
): ListDiff {
  const before = new Map(current.map((row) => [row.source_id, row]));
  const diff: ListDiff = { added: [], removed: [], changed: [] };
  const incoming = new Set<string>();
  entries.forEach((entry, i) => {
    incoming.add(entry.sourceId);
    const old = before.get(entry.sourceId);
    const item: ListDiffItem = { sourceId: entry.sourceId, name: entry.names[0]?.full ?? '' };
    if (old === undefined) diff.added.push(item);
    else if (old.content_hash !== hashes[i]) diff.changed.push(item);
  });
  for (const row of current) {
    if (!incoming.has(row.source_id)) diff.removed.push({ sourceId: row.source_id, name: row.name ?? '' });
  }
  return diff;
}

/**
 * SHA-256 of the entry's canonical JSON (keys sorted, absent fields left out), so the hash
 * depends on the content only, not on how the object was built.
 */
export function entryHash(entry: ListEntry): string {
  const value: { [key: string]: CanonicalValue } = {
    list: entry.list,
    sourceId: entry.sourceId,
    type: entry.type,
    names: entry.names.map((name) => {
      const out: { [key: string]: CanonicalValue } = { full: name.full, kind: name.kind };
      if (name.script !== undefined) out.script = name.script;
      return out;
    }),
    birthDates: [...entry.birthDates],
    nationalities: [...entry.nationalities],
    countries: [...entry.countries],
    programs: [...entry.programs],
    identifiers: [...entry.identifiers],
  };
  if (entry.remarks !== undefined) value.remarks = entry.remarks;
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** One hash for the whole content of a version: its entries' hashes in source id order. */
function contentHash(entries: readonly ListEntry[], hashes: readonly string[]): string {
  const lines = entries.map((entry, i) => `${entry.sourceId}\t${hashes[i] ?? ''}\n`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}
