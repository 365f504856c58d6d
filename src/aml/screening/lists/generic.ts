/**
 * The generic list format for internal watch lists and PEP lists, in CSV (RFC 4180, header
 * row required) or JSON Lines (one object per line). Columns, or keys:
 *
 * | column        | required | content                                                      |
 * |---------------|----------|--------------------------------------------------------------|
 * | id            | yes      | the list's own id of the entry, unique in the file           |
 * | name          | yes      | the primary name                                              |
 * | type          | no       | individual, entity, vessel, aircraft or unknown (the default) |
 * | aliases       | no       | other names                                                   |
 * | birth_dates   | no       | `YYYY-MM-DD`, `YYYY` or `YYYY-YYYY`                           |
 * | nationalities | no       | ISO alpha-2 codes or country names                            |
 * | countries     | no       | same, for addresses                                           |
 * | programs      | no       | e.g. a PEP category or the reason for an internal listing    |
 * | remarks       | no       | free text for the analyst                                     |
 * | identifiers   | no       | `type: value`, e.g. `Passport: X1234567`                      |
 *
 * Multi-valued cells are `;`-separated in CSV; in JSON Lines they may also be arrays of
 * strings. Header names are matched without case; other columns are ignored with a
 * warning, so an export with extra columns loads as it is.
 */

import type { EntityType, ListEntry } from '../types.ts';
import { countryCode } from './countries.ts';
import { csvRecords } from './csv.ts';
import { normaliseBirthDate } from './dates.ts';
import { ScreeningListError, show } from './errors.ts';
import { EntryBuilder, LIST_ENTRIES_MAX, type ParsedList, WarningLog } from './parsed.ts';
import { readSource, type SourceText } from './source.ts';
import { cleanText, splitList } from './text.ts';

export type GenericFormat = 'csv' | 'jsonl';

export interface GenericOptions {
  /** The list name entries carry, e.g. `internal_watch` or `pep_domestic`. */
  list: string;
  /** Defaults from the file name: `.csv`, `.jsonl` or `.ndjson`. */
  format?: GenericFormat;
  /** The type of rows that do not say; `unknown` unless given (a PEP list would say `individual`). */
  defaultType?: EntityType;
}

const COLUMNS = [
  'id',
  'type',
  'name',
  'aliases',
  'birth_dates',
  'nationalities',
  'countries',
  'programs',
  'remarks',
  'identifiers',
] as const;
type Column = (typeof COLUMNS)[number];
const MULTI_VALUED: ReadonlySet<Column> = new Set([
  'aliases',
  'birth_dates',
  'nationalities',
  'countries',
  'programs',
  'identifiers',
]);
const ENTITY_TYPES: ReadonlySet<string> = new Set(['individual', 'entity', 'vessel', 'aircraft', 'unknown']);

/** One row before checking: a single text, or several values for a multi-valued column. */
type RawRow = Partial<Record<Column, string | string[]>>;

export async function readGenericList(path: string, options: GenericOptions): Promise<ParsedList> {
  const format = options.format ?? formatFromName(path);
  return parseGenericList(await readSource(path), { ...options, format });
}

export function formatFromName(name: string): GenericFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  throw new ScreeningListError(
    'SCREENING_LIST_UNKNOWN_FORMAT',
    'cannot tell the format from the name (expected .csv, .jsonl or .ndjson); pass format',
    { file: name },
  );
}

export function parseGenericList(source: SourceText, options: GenericOptions): ParsedList {
  const format = options.format ?? formatFromName(source.file.name);
  const warnings = new WarningLog();
  const rows = format === 'csv' ? csvRows(source, warnings) : jsonlRows(source, warnings);
  const file = source.file.name;
  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  for (const { row, line } of rows) {
    const entry = toEntry(row, line, file, options);
    if (seen.has(entry.sourceId)) {
      throw new ScreeningListError(
        'SCREENING_LIST_DUPLICATE_ID',
        `id ${show(entry.sourceId)} appears twice`,
        {
          file,
          line,
          field: 'id',
        },
      );
    }
    if (entries.length >= LIST_ENTRIES_MAX) {
      throw new ScreeningListError('SCREENING_LIST_TOO_LARGE', `more than ${LIST_ENTRIES_MAX} entries`, {
        file,
        line,
      });
    }
    seen.add(entry.sourceId);
    entries.push(entry);
  }
  if (entries.length === 0) {
    throw new ScreeningListError('SCREENING_LIST_EMPTY', 'the file has no entries', { file });
  }
  return {
    list: options.list,
    format: format === 'csv' ? 'generic_csv' : 'generic_jsonl',
    entries,
    warnings: warnings.list(),
    files: [source.file],
  };
}

function* csvRows(source: SourceText, warnings: WarningLog): Generator<{ row: RawRow; line: number }> {
  const file = source.file.name;
  const records = csvRecords(source.text, file);
  const header = records.next();
  if (header.done) throw new ScreeningListError('SCREENING_LIST_EMPTY', 'the file has no header', { file });
  const columns: Array<Column | undefined> = [];
  for (const raw of header.value.fields) {
    const name = cleanText(raw).toLowerCase();
    const column = COLUMNS.find((c) => c === name);
    if (column !== undefined && columns.includes(column)) {
      throw new ScreeningListError('SCREENING_LIST_BAD_CSV', `column ${column} appears twice in the header`, {
        file,
        line: header.value.line,
        field: column,
      });
    }
    if (column === undefined)
      warnings.add('unknown_column', file, header.value.line, `column ${show(raw)} ignored`);
    columns.push(column);
  }
  for (const required of ['id', 'name'] as const) {
    if (!columns.includes(required)) {
      throw new ScreeningListError('SCREENING_LIST_MISSING_COLUMN', `the header has no ${required} column`, {
        file,
        line: header.value.line,
        field: required,
      });
    }
  }
  for (const { fields, line } of records) {
    if (fields.length !== columns.length) {
      throw new ScreeningListError(
        'SCREENING_LIST_WRONG_FIELD_COUNT',
        `${fields.length} fields where the header has ${columns.length}`,
        { file, line },
      );
    }
    const row: RawRow = {};
    fields.forEach((value, i) => {
      const column = columns[i];
      if (column !== undefined) row[column] = MULTI_VALUED.has(column) ? splitList(value) : value;
    });
    yield { row, line };
  }
}

function* jsonlRows(source: SourceText, warnings: WarningLog): Generator<{ row: RawRow; line: number }> {
  const file = source.file.name;
  const lines = source.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const text = (lines[i] ?? '').trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ScreeningListError('SCREENING_LIST_BAD_JSON', `not valid JSON (${reason})`, { file, line });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ScreeningListError('SCREENING_LIST_BAD_JSON', 'each line must be a JSON object', {
        file,
        line,
      });
    }
    const row: RawRow = {};
    for (const [key, item] of Object.entries(value)) {
      const column = COLUMNS.find((c) => c === key.toLowerCase());
      if (column === undefined) {
        warnings.add('unknown_field', file, line, `field ${show(key)} ignored`);
        continue;
      }
      row[column] = jsonValue(item, column, file, line);
    }
    yield { row, line };
  }
}

/** A JSON value as a row value: strings (and, for an id, integers); arrays of strings where many are allowed. */
function jsonValue(item: unknown, column: Column, file: string, line: number): string | string[] {
  if (item === null || item === undefined) return MULTI_VALUED.has(column) ? [] : '';
  if (typeof item === 'string') return MULTI_VALUED.has(column) ? splitList(item) : item;
  if (column === 'id' && typeof item === 'number' && Number.isSafeInteger(item)) return String(item);
  if (MULTI_VALUED.has(column) && Array.isArray(item)) {
    const values: string[] = [];
    for (const element of item) {
      if (typeof element !== 'string') {
        throw new ScreeningListError(
          'SCREENING_LIST_BAD_VALUE',
          `${show(element)} in the list is not a string`,
          {
            file,
            line,
            field: column,
          },
        );
      }
      const clean = cleanText(element);
      if (clean !== '') values.push(clean);
    }
    return values;
  }
  const expected = MULTI_VALUED.has(column) ? 'a string or an array of strings' : 'a string';
  throw new ScreeningListError('SCREENING_LIST_BAD_VALUE', `${show(item)} is not ${expected}`, {
    file,
    line,
    field: column,
  });
}

function many(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? splitList(value) : value;
}

function one(value: string | string[] | undefined): string {
  return typeof value === 'string' ? cleanText(value) : '';
}

function toEntry(row: RawRow, line: number, file: string, options: GenericOptions): ListEntry {
  const place = (field: Column) => ({ file, line, field });
  const id = one(row.id);
  if (id === '') throw new ScreeningListError('SCREENING_LIST_BAD_ID', 'the id is empty', place('id'));
  const name = one(row.name);
  if (name === '')
    throw new ScreeningListError(
      'SCREENING_LIST_MISSING_NAME',
      `entry ${show(id)} has no name`,
      place('name'),
    );
  const typeText = one(row.type).toLowerCase();
  let type: EntityType = options.defaultType ?? 'unknown';
  if (typeText !== '') {
    if (!isEntityType(typeText)) {
      throw new ScreeningListError(
        'SCREENING_LIST_BAD_VALUE',
        `${show(typeText)} is not a type (individual, entity, vessel, aircraft or unknown)`,
        place('type'),
      );
    }
    type = typeText;
  }
  const builder = new EntryBuilder(options.list, id, type);
  builder.addName(name, 'primary');
  for (const alias of many(row.aliases)) builder.addName(alias, 'alias');
  for (const date of many(row.birth_dates)) {
    const stored = normaliseBirthDate(date);
    if (stored === undefined) {
      throw new ScreeningListError(
        'SCREENING_LIST_BAD_VALUE',
        `${show(date)} is not a birth date (YYYY-MM-DD, YYYY or YYYY-YYYY)`,
        place('birth_dates'),
      );
    }
    builder.birthDates.add(stored);
  }
  for (const country of many(row.nationalities)) builder.nationalities.add(countryOrCode(country));
  for (const country of many(row.countries)) builder.countries.add(countryOrCode(country));
  for (const program of many(row.programs)) builder.programs.add(program);
  for (const identifier of many(row.identifiers)) builder.identifiers.add(identifier);
  return builder.build(one(row.remarks) || undefined);
}

function isEntityType(value: string): value is EntityType {
  return ENTITY_TYPES.has(value);
}

/** An operator may write `ir` or `Iran`; two letters are taken as a code. */
function countryOrCode(value: string): string {
  return /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : countryCode(value);
}
