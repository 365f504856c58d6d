/**
 * What every loader returns, and the builder they share to assemble a `ListEntry`: names
 * deduplicated (the first kind given wins, so the primary name is never demoted by an
 * identical alias), every multi-valued attribute kept once in the source's order.
 */

import type { EntityType, ListEntry, ListName } from '../types.ts';
import type { SourceFile } from './source.ts';
import { cleanText, scriptOf } from './text.ts';

export type SourceFormat = 'ofac_sdn_csv' | 'un_consolidated_xml' | 'generic_csv' | 'generic_jsonl';

/**
 * Something in the file that was accepted but not fully used: rows naming an entry the
 * list does not have, a date the loader could not read. Aggregated per code and file, so
 * a file with thousands of such rows yields one warning with a count.
 */
export interface ListWarning {
  code: string;
  file: string;
  /** How many times it happened. */
  count: number;
  /** Line and detail of the first occurrence. */
  line: number;
  detail: string;
}

export interface ParsedList {
  /** The list name every entry carries. */
  list: string;
  format: SourceFormat;
  entries: ListEntry[];
  warnings: ListWarning[];
  /** The files read, with their hashes, for the version record. */
  files: SourceFile[];
}

export class WarningLog {
  private readonly byKey = new Map<string, ListWarning>();

  add(code: string, file: string, line: number, detail: string): void {
    const key = `${code}\u0000${file}`;
    const seen = this.byKey.get(key);
    if (seen) seen.count++;
    else this.byKey.set(key, { code, file, count: 1, line, detail });
  }

  list(): ListWarning[] {
    return [...this.byKey.values()];
  }
}

/** Maximum entries per list: several times the largest public list (OFAC SDN, about 18,000). */
export const LIST_ENTRIES_MAX = 500_000;

export class EntryBuilder {
  private readonly names: ListName[] = [];
  private readonly nameKeys = new Set<string>();
  readonly birthDates = new Set<string>();
  readonly nationalities = new Set<string>();
  readonly countries = new Set<string>();
  readonly programs = new Set<string>();
  readonly identifiers = new Set<string>();

  constructor(
    readonly list: string,
    readonly sourceId: string,
    public type: EntityType,
  ) {}

  get nameCount(): number {
    return this.names.length;
  }

  /** Adds a name unless it is empty or already present (compared without case). */
  addName(full: string, kind: ListName['kind']): void {
    const clean = cleanText(full);
    if (clean === '') return;
    const key = clean.toLowerCase();
    if (this.nameKeys.has(key)) return;
    this.nameKeys.add(key);
    const script = scriptOf(clean);
    this.names.push(script === undefined ? { full: clean, kind } : { full: clean, kind, script });
  }

  build(remarks: string | undefined): ListEntry {
    const entry: ListEntry = {
      list: this.list,
      sourceId: this.sourceId,
      type: this.type,
      names: this.names,
      birthDates: [...this.birthDates],
      nationalities: [...this.nationalities],
      countries: [...this.countries],
      programs: [...this.programs],
      identifiers: [...this.identifiers],
    };
    const cleanRemarks = remarks === undefined ? '' : cleanText(remarks);
    if (cleanRemarks !== '') entry.remarks = cleanRemarks;
    return entry;
  }
}

/** Adds a cleaned, non-empty value to a set. */
export function addClean(set: Set<string>, value: string | undefined): void {
  if (value === undefined) return;
  const clean = cleanText(value);
  if (clean !== '') set.add(clean);
}
