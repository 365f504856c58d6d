import type { ColumnType } from 'kysely';
import type { Timestamp } from '../../platform/schema.ts';
import type { SourceFormat } from './lists/parsed.ts';
import type { SourceFile } from './lists/source.ts';
import type { EntityType, ListEntry } from './types.ts';

type Json<T> = ColumnType<T, string, string>;

export interface ListDiffItem {
  sourceId: string;
  /** The primary name: the new one for added and changed entries, the old one for removed. */
  name: string;
}

export interface ListDiff {
  added: ListDiffItem[];
  removed: ListDiffItem[];
  changed: ListDiffItem[];
}

export interface ScreeningListsTable {
  id: string;
  name: string;
  kind: 'sanctions' | 'pep' | 'internal';
  source_format: SourceFormat;
  created_at: Timestamp;
}

export interface ScreeningListVersionsTable {
  id: string;
  list_id: string;
  version: number;
  loaded_at: Timestamp;
  loaded_by: string;
  source_files: Json<SourceFile[]>;
  content_hash: string;
  entry_count: number;
  added_count: number;
  removed_count: number;
  changed_count: number;
  diff: Json<ListDiff>;
}

export interface ScreeningEntriesTable {
  list_id: string;
  /** The version that stored this content of the entry. */
  version_id: string;
  source_id: string;
  type: EntityType;
  entry: Json<ListEntry>;
  content_hash: string;
  /** Version number from which this content is current. */
  valid_from: number;
  /** Version number that removed or replaced it; null while current. */
  valid_to: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Tables of the AML screening module (merged into `Database`). */
export interface ScreeningTables {
  screening_lists: ScreeningListsTable;
  screening_list_versions: ScreeningListVersionsTable;
  screening_entries: ScreeningEntriesTable;
}
