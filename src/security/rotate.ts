import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type RawBuilder, sql } from 'kysely';
import type { Db, Tx } from '../platform/db.ts';
import type { KeyProvider } from './keys.ts';
import { SEALED_FIELDS, type SealedField, sealContext } from './sealed-fields.ts';
import { unwrapDataKey, Vault } from './vault.ts';

/**
 * Field-key rotation. A new data-key version only changes what new values are sealed
 * under; the values already stored stay readable under the old version until they are
 * re-sealed here. The work left is always "sealed under a version below the current one",
 * so an interrupted run is resumed by running again, and a value written under an old
 * key by a server that had not yet reloaded is picked up by the next run.
 */

/** Sealed values of one field, per data-key version. */
export interface FieldKeyStatus {
  table: string;
  column: string;
  /** Sealed values per key version, lowest version first. */
  versions: Array<{ version: number; count: number }>;
  sealed: number;
  /** Values under a version below the current one: what a rotation would re-seal. */
  belowCurrent: number;
  /** Values starting with `enc1:` whose version cannot be read (they cannot be opened either). */
  malformed: number;
}

export interface KeyStatus {
  /** The version new values are sealed under; null before the first start created the keys. */
  fieldKeyVersion: number | null;
  dataKeys: Array<{ id: string; purpose: 'field' | 'blind'; version: number; kekId: string }>;
  /** The KEKs the stored data keys are wrapped by: every one of them must stay available. */
  kekIds: string[];
  fields: FieldKeyStatus[];
}

export interface RotateOptions {
  /** Add a new field-key version first; false only re-seals what an earlier run left. */
  newKey: boolean;
  /** Rows per transaction. */
  batchSize: number;
  /** Called after each committed batch (and when a field starts): rows looked at so far. */
  onProgress?: (done: number, total: number, field: SealedField) => void;
  /** Stops between batches; what was committed stays, a later run continues. */
  signal?: AbortSignal;
}

/** A value that did not open: named by its place, never by its content. */
export interface FailedValue {
  table: string;
  column: string;
  rowKey: string;
  reason: string;
}

export interface RotateFieldReport {
  table: string;
  column: string;
  resealed: number;
  failed: number;
  /** Rows whose value changed between the read and the write (left for the next run). */
  changed: number;
  /** Values still below the current version when the run ended (failed ones included). */
  remaining: number;
}

export interface RotateReport {
  fieldKeyVersion: number;
  /** The version this run added, when it added one. */
  addedVersion: number | null;
  /** Values below the current version when the run started. */
  total: number;
  resealed: number;
  failed: FailedValue[];
  /** Values still below the current version at the end: failed ones, and any written meanwhile. */
  remaining: number;
  aborted: boolean;
  seconds: number;
  fields: RotateFieldReport[];
}

export interface RewrapReport {
  kekId: string;
  keys: number;
  rewrapped: number;
  /** Keys that were already wrapped by the current KEK (left as they were). */
  alreadyCurrent: number;
}

/** Sealed-value counts per field and key version; reads only, needs no KEK. */
export async function keyStatus(db: Db): Promise<KeyStatus> {
  const keys = await db
    .selectFrom('security_keys')
    .select(['id', 'purpose', 'version', 'kek_id'])
    .orderBy('purpose', 'desc')
    .orderBy('version')
    .execute();
  const fieldVersions = keys.filter((k) => k.purpose === 'field').map((k) => k.version);
  const current = fieldVersions.length > 0 ? Math.max(...fieldVersions) : null;
  const fields: FieldKeyStatus[] = [];
  for (const f of SEALED_FIELDS) {
    const rows = await sql<{ version: number | null; n: bigint }>`
      select ${versionOf(f.column)} as version, count(*)::int8 as n
      from ${sql.table(f.table)}
      where ${sql.ref(f.column)} like 'enc1:%'
      group by 1 order by 1`.execute(db);
    const status: FieldKeyStatus = {
      table: f.table,
      column: f.column,
      versions: [],
      sealed: 0,
      belowCurrent: 0,
      malformed: 0,
    };
    for (const r of rows.rows) {
      const n = Number(r.n);
      status.sealed += n;
      if (r.version === null) {
        status.malformed += n;
        continue;
      }
      status.versions.push({ version: r.version, count: n });
      if (current !== null && r.version < current) status.belowCurrent += n;
    }
    fields.push(status);
  }
  return {
    fieldKeyVersion: current,
    dataKeys: keys.map((k) => ({ id: k.id, purpose: k.purpose, version: k.version, kekId: k.kek_id })),
    kekIds: [...new Set(keys.map((k) => k.kek_id))].sort(),
    fields,
  };
}

/**
 * Re-seals every sealed value under the current field key (after adding a new version when
 * `newKey` is set), field by field in key order, `batchSize` rows per transaction. A value
 * that does not open is reported and left as it is; the others still rotate.
 */
export async function rotateFieldKey(
  db: Db,
  provider: KeyProvider,
  options: RotateOptions,
): Promise<RotateReport> {
  if (!Number.isInteger(options.batchSize) || options.batchSize <= 0)
    throw new Error('batch size must be a positive integer');
  const started = performance.now();
  // Open first: a wrong KEK fails here, before a new key is wrapped by it.
  const vault = await Vault.open(db, provider);
  let addedVersion: number | null = null;
  if (options.newKey) {
    addedVersion = await Vault.addFieldKey(db, provider);
    await vault.reload(db, provider);
  }
  const current = vault.fieldKeyVersion;

  let total = 0;
  for (const f of SEALED_FIELDS) total += await countBelow(db, f, current);

  const fields: RotateFieldReport[] = [];
  const failed: FailedValue[] = [];
  let done = 0;
  let aborted = false;
  for (const f of SEALED_FIELDS) {
    const report: RotateFieldReport = {
      table: f.table,
      column: f.column,
      resealed: 0,
      failed: 0,
      changed: 0,
      remaining: 0,
    };
    fields.push(report);
    if (aborted) {
      report.remaining = await countBelow(db, f, current);
      continue;
    }
    options.onProgress?.(done, Math.max(total, done), f);
    // Key order with a moving lower bound: values that failed are not read again in this run.
    let after: string | undefined;
    for (;;) {
      // A turn of the event loop between batches: PGlite answers through promises alone, and
      // without it a signal (Ctrl-C) would not be seen before the whole run ended.
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const batch = await db
        .transaction()
        .execute((tx) => resealBatch(tx, vault, f, current, after, options.batchSize));
      report.resealed += batch.resealed;
      report.changed += batch.changed;
      report.failed += batch.failed.length;
      failed.push(...batch.failed);
      done += batch.rows;
      if (batch.rows > 0) options.onProgress?.(done, Math.max(total, done), f);
      if (batch.lastKey === undefined || batch.rows < options.batchSize) break;
      after = batch.lastKey;
    }
    report.remaining = await countBelow(db, f, current);
  }

  return {
    fieldKeyVersion: current,
    addedVersion,
    total,
    resealed: fields.reduce((n, r) => n + r.resealed, 0),
    failed,
    remaining: fields.reduce((n, r) => n + r.remaining, 0),
    aborted,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    fields,
  };
}

/**
 * Re-wraps every data key under the provider's current KEK (the first of BULWARK_KEKS), in
 * one transaction. Every key is unwrapped first, so a KEK missing from the provider fails
 * the whole run before anything is written; the old KEK can be dropped once this ran.
 */
export async function rewrapDataKeys(db: Db, provider: KeyProvider): Promise<RewrapReport> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .selectFrom('security_keys')
      .select(['id', 'kek_id', 'wrapped'])
      .orderBy('id')
      .forUpdate()
      .execute();
    const unwrapped = rows.map((r) => ({ row: r, key: unwrapDataKey(provider, r) }));
    let rewrapped = 0;
    for (const { row, key } of unwrapped) {
      if (row.kek_id === provider.kekId) continue;
      const wrapped = provider.wrap(key);
      if (!provider.unwrap(wrapped, provider.kekId).equals(key))
        throw new Error(`data key ${row.id} did not survive re-wrapping under KEK ${provider.kekId}`);
      const result = await tx
        .updateTable('security_keys')
        .set({ wrapped, kek_id: provider.kekId })
        .where('id', '=', row.id)
        .where('wrapped', '=', row.wrapped)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1)
        throw new Error(`data key ${row.id} changed while re-wrapping`);
      rewrapped++;
    }
    return { kekId: provider.kekId, keys: rows.length, rewrapped, alreadyCurrent: rows.length - rewrapped };
  });
}

interface BatchResult {
  rows: number;
  lastKey: string | undefined;
  resealed: number;
  changed: number;
  failed: FailedValue[];
}

/** One batch in one transaction: lock the rows, open and re-seal, write back where unchanged. */
async function resealBatch(
  tx: Tx,
  vault: Vault,
  f: SealedField,
  current: number,
  after: string | undefined,
  batchSize: number,
): Promise<BatchResult> {
  const rows = await sql<{ k: string; v: string }>`
    select ${sql.ref(f.key)} as k, ${sql.ref(f.column)} as v
    from ${sql.table(f.table)}
    where ${versionOf(f.column)} < ${current}
      ${after === undefined ? sql`` : sql`and ${sql.ref(f.key)} > ${after}`}
    order by ${sql.ref(f.key)}
    limit ${batchSize}
    for update`.execute(tx);
  const keys: string[] = [];
  const was: string[] = [];
  const sealed: string[] = [];
  const failed: FailedValue[] = [];
  for (const r of rows.rows) {
    const context = sealContext(f.table, f.column, r.k);
    try {
      const fresh = vault.seal(vault.open(r.v, context), context);
      keys.push(r.k);
      was.push(r.v);
      sealed.push(fresh);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      failed.push({ table: f.table, column: f.column, rowKey: r.k, reason });
    }
  }
  let resealed = 0;
  if (keys.length > 0) {
    const result = await sql`
      update ${sql.table(f.table)} as t set ${sql.ref(f.column)} = u.sealed
      from unnest(${keys}::text[], ${was}::text[], ${sealed}::text[]) as u(rk, was, sealed)
      where ${sql.ref(`t.${f.key}`)} = u.rk and ${sql.ref(`t.${f.column}`)} = u.was`.execute(tx);
    resealed = Number(result.numAffectedRows ?? 0n);
  }
  return {
    rows: rows.rows.length,
    lastKey: rows.rows.at(-1)?.k,
    resealed,
    changed: keys.length - resealed,
    failed,
  };
}

async function countBelow(db: Db, f: SealedField, current: number): Promise<number> {
  const result = await sql<{ n: bigint }>`
    select count(*)::int8 as n from ${sql.table(f.table)}
    where ${versionOf(f.column)} < ${current}`.execute(db);
  return Number(result.rows[0]?.n ?? 0n);
}

/**
 * The key version of a sealed value, null for anything else (plain settings, nulls,
 * malformed values). The CASE keeps the cast away from values that are not sealed.
 */
function versionOf(column: string): RawBuilder<number | null> {
  const ref = sql.ref(column);
  return sql<
    number | null
  >`(case when ${ref} ~ '^enc1:[0-9]{1,9}:' then split_part(${ref}, ':', 2)::int end)`;
}
