import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Screening lists (`src/aml/screening/lists/`): sanctions, PEP and internal watch lists,
 * loaded as versions.
 *
 * - `screening_lists`: one per list name, with its kind and source format. A load locks
 *   its row, so two loads of one list run one after the other and each compares against
 *   the version the other stored.
 * - `screening_list_versions`: one per load that changed something: who and when, the
 *   source files with their SHA-256, the counts, and the diff (added, removed and changed
 *   source ids with their names) against the previous version.
 * - `screening_entries`: each content of each entry, stored once, with the version range
 *   in which it was current (`valid_from` inclusive, `valid_to` exclusive, null while
 *   current). An update writes only what changed; the current list is the rows with
 *   `valid_to is null`, at most one per source id; any earlier version can be rebuilt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table screening_lists (
      id text primary key,
      name text not null unique,
      kind text not null check (kind in ('sanctions','pep','internal')),
      source_format text not null
        check (source_format in ('ofac_sdn_csv','un_consolidated_xml','generic_csv','generic_jsonl')),
      created_at timestamptz not null
    );

    create table screening_list_versions (
      id text primary key,
      list_id text not null references screening_lists(id),
      version int not null check (version > 0),
      loaded_at timestamptz not null,
      loaded_by text not null,
      source_files jsonb not null,
      content_hash text not null,
      entry_count int not null check (entry_count >= 0),
      added_count int not null check (added_count >= 0),
      removed_count int not null check (removed_count >= 0),
      changed_count int not null check (changed_count >= 0),
      diff jsonb not null,
      unique (list_id, version)
    );

    create table screening_entries (
      list_id text not null references screening_lists(id),
      version_id text not null references screening_list_versions(id),
      source_id text not null,
      type text not null check (type in ('individual','entity','vessel','aircraft','unknown')),
      entry jsonb not null,
      content_hash text not null,
      valid_from int not null,
      valid_to int,
      check (valid_to is null or valid_to > valid_from),
      primary key (list_id, source_id, valid_from)
    );
    create unique index screening_entries_current on screening_entries (list_id, source_id)
      where valid_to is null;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop table screening_entries;
    drop table screening_list_versions;
    drop table screening_lists;
    `,
  );
}
