/**
 * OFAC's SDN list in the legacy CSV format: four files without a header, `-0- ` for an
 * empty cell, joined on `ent_num`.
 *
 * - `sdn.csv`: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
 *   GRT, Vess_flag, Vess_owner, Remarks. An empty type means an organisation; programmes
 *   are written `SDGT] [IFSR`.
 * - `alt.csv`: ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks.
 * - `add.csv`: ent_num, add_num, address, city/state/postal, country, add_remarks.
 * - `sdn_comments.csv`: ent_num, the continuation of Remarks, which `sdn.csv` cuts at
 *   1,000 characters (mid-word, so the two are joined without a separator).
 *
 * Dates of birth, nationalities, identity documents and OFAC's weak aliases ("a.k.a.
 * 'X'" — the names OFAC judges too broad for its alias file) exist only inside Remarks,
 * as `;`-separated statements; `parseRemarks` reads the statements it knows and leaves the
 * whole text in `remarks` for the analyst. Rows of the other files that name an ent_num
 * absent from `sdn.csv` (an extract, or files from different days) are ignored with a
 * warning rather than refused.
 */

import { join } from 'node:path';
import type { EntityType, ListEntry } from '../types.ts';
import { countryCode } from './countries.ts';
import { csvRecords } from './csv.ts';
import { isoDate, isPlausibleYear, monthNumber, yearRange } from './dates.ts';
import { ScreeningListError, show } from './errors.ts';
import { EntryBuilder, LIST_ENTRIES_MAX, type ParsedList, WarningLog } from './parsed.ts';
import { readSource, type SourceText } from './source.ts';

export const OFAC_SDN_LIST = 'ofac_sdn';

export interface OfacPaths {
  sdn: string;
  alt?: string;
  add?: string;
  comments?: string;
}

export interface OfacSources {
  sdn: SourceText;
  alt?: SourceText;
  add?: SourceText;
  comments?: SourceText;
}

export interface OfacOptions {
  /** The list name entries carry; defaults to `ofac_sdn`. */
  list?: string;
}

/** The four files under the names OFAC publishes them with. */
export function ofacPathsIn(dir: string): Required<OfacPaths> {
  return {
    sdn: join(dir, 'sdn.csv'),
    alt: join(dir, 'alt.csv'),
    add: join(dir, 'add.csv'),
    comments: join(dir, 'sdn_comments.csv'),
  };
}

export async function readOfacSdn(paths: OfacPaths, options: OfacOptions = {}): Promise<ParsedList> {
  const sources: OfacSources = { sdn: await readSource(paths.sdn) };
  if (paths.alt !== undefined) sources.alt = await readSource(paths.alt);
  if (paths.add !== undefined) sources.add = await readSource(paths.add);
  if (paths.comments !== undefined) sources.comments = await readSource(paths.comments);
  return parseOfacSdn(sources, options);
}

const SDN_COLUMNS = [
  'ent_num',
  'SDN_Name',
  'SDN_Type',
  'Program',
  'Title',
  'Call_Sign',
  'Vess_type',
  'Tonnage',
  'GRT',
  'Vess_flag',
  'Vess_owner',
  'Remarks',
] as const;
const ALT_COLUMNS = ['ent_num', 'alt_num', 'alt_type', 'alt_name', 'alt_remarks'] as const;
const ADD_COLUMNS = ['ent_num', 'add_num', 'address', 'city_state_postal', 'country', 'add_remarks'] as const;
const COMMENT_COLUMNS = ['ent_num', 'comment'] as const;

interface Draft {
  builder: EntryBuilder;
  remarks: string;
  /** The entry's line in sdn.csv, for warnings about its remarks. */
  line: number;
}

export function parseOfacSdn(sources: OfacSources, options: OfacOptions = {}): ParsedList {
  const list = options.list ?? OFAC_SDN_LIST;
  const warnings = new WarningLog();
  const drafts = new Map<string, Draft>();

  const sdnFile = sources.sdn.file.name;
  for (const { fields, line } of rows(sources.sdn, SDN_COLUMNS)) {
    const entNum = entNumOf(fields[0], sdnFile, line);
    if (drafts.has(entNum)) {
      throw new ScreeningListError('SCREENING_LIST_DUPLICATE_ID', `ent_num ${entNum} appears twice`, {
        file: sdnFile,
        line,
        field: 'ent_num',
      });
    }
    if (drafts.size >= LIST_ENTRIES_MAX) {
      throw new ScreeningListError('SCREENING_LIST_TOO_LARGE', `more than ${LIST_ENTRIES_MAX} entries`, {
        file: sdnFile,
        line,
      });
    }
    const name = cell(fields[1]);
    if (name === '') {
      throw new ScreeningListError('SCREENING_LIST_MISSING_NAME', `entry ${entNum} has no name`, {
        file: sdnFile,
        line,
        field: 'SDN_Name',
      });
    }
    const builder = new EntryBuilder(list, entNum, entityType(cell(fields[2]), warnings, sdnFile, line));
    builder.addName(name, 'primary');
    for (const program of cell(fields[3]).split(/\]\s*\[/)) {
      const clean = program.replace(/^\[|\]$/g, '').trim();
      if (clean !== '') builder.programs.add(clean);
    }
    const callSign = cell(fields[5]);
    if (callSign !== '') builder.identifiers.add(`Call Sign: ${callSign}`);
    // A vessel's flag state is its nationality in maritime law; "None Identified" says nothing.
    const flag = cell(fields[9]);
    if (flag !== '' && !/^none identified$/i.test(flag)) builder.nationalities.add(countryCode(flag));
    drafts.set(entNum, { builder, remarks: untrimmed(fields[11]), line });
  }
  if (drafts.size === 0) {
    throw new ScreeningListError('SCREENING_LIST_EMPTY', 'the file has no entries', { file: sdnFile });
  }

  /** The rows of a file that extends the sdn file, each with its entry; rows of other entries are counted, not read. */
  function* attached(source: SourceText, columns: readonly string[]) {
    const file = source.file.name;
    for (const { fields, line } of rows(source, columns)) {
      const draft = drafts.get(entNumOf(fields[0], file, line));
      if (draft) yield { draft, fields, line, file };
      else
        warnings.add(
          'orphan_row',
          file,
          line,
          `ent_num ${cell(fields[0])} is not in ${sdnFile}; row ignored`,
        );
    }
  }

  if (sources.alt) {
    for (const { draft, fields, line, file } of attached(sources.alt, ALT_COLUMNS)) {
      const altType = cell(fields[2]).toLowerCase();
      const name = cell(fields[3]);
      if (name === '') {
        throw new ScreeningListError('SCREENING_LIST_MISSING_NAME', 'an alias without a name', {
          file,
          line,
          field: 'alt_name',
        });
      }
      if (altType === 'fka') draft.builder.addName(name, 'former');
      else {
        if (altType !== 'aka' && altType !== 'nka') {
          warnings.add('unknown_alias_type', file, line, `alt_type ${show(altType)} read as an alias`);
        }
        draft.builder.addName(name, 'alias');
      }
    }
  }

  if (sources.add) {
    for (const { draft, fields } of attached(sources.add, ADD_COLUMNS)) {
      const country = cell(fields[4]);
      if (country !== '') draft.builder.countries.add(countryCode(country));
    }
  }

  if (sources.comments) {
    for (const { draft, fields } of attached(sources.comments, COMMENT_COLUMNS)) {
      draft.remarks += untrimmed(fields[1]);
    }
  }

  const entries: ListEntry[] = [];
  for (const draft of drafts.values()) {
    parseRemarks(draft.builder, draft.remarks, (code, detail) =>
      warnings.add(code, sdnFile, draft.line, detail),
    );
    entries.push(draft.builder.build(draft.remarks));
  }
  const files = [sources.sdn, sources.alt, sources.add, sources.comments].flatMap((s) => (s ? [s.file] : []));
  return { list, format: 'ofac_sdn_csv', entries, warnings: warnings.list(), files };
}

/** The records of a headerless file, each checked for the expected number of fields. */
function* rows(source: SourceText, columns: readonly string[]) {
  const file = source.file.name;
  for (const record of csvRecords(source.text, file)) {
    if (record.fields.length !== columns.length) {
      throw new ScreeningListError(
        'SCREENING_LIST_WRONG_FIELD_COUNT',
        `${record.fields.length} fields where ${columns.length} are expected (${columns.join(', ')})`,
        { file, line: record.line },
      );
    }
    yield record;
  }
}

/** A cell's text, with OFAC's `-0-` marker read as empty. */
function cell(value: string | undefined): string {
  const text = (value ?? '').trim();
  return text === '-0-' ? '' : text;
}

/**
 * Remarks and their continuation as written: OFAC cuts at a fixed length, so a space at the
 * end of one or the start of the other is part of the text and must survive the join.
 */
function untrimmed(value: string | undefined): string {
  const text = value ?? '';
  return text.trim() === '-0-' ? '' : text;
}

function entNumOf(value: string | undefined, file: string, line: number): string {
  const text = cell(value);
  if (!/^\d{1,10}$/.test(text)) {
    throw new ScreeningListError('SCREENING_LIST_BAD_ID', `${show(value)} is not an ent_num (a number)`, {
      file,
      line,
      field: 'ent_num',
    });
  }
  return String(Number(text));
}

function entityType(value: string, warnings: WarningLog, file: string, line: number): EntityType {
  switch (value.toLowerCase()) {
    case '':
      return 'entity';
    case 'individual':
      return 'individual';
    case 'vessel':
      return 'vessel';
    case 'aircraft':
      return 'aircraft';
    default:
      warnings.add('unknown_type', file, line, `SDN_Type ${show(value)} read as unknown`);
      return 'unknown';
  }
}

/**
 * Identity documents and registration numbers in Remarks, by their label. The label is
 * followed by the value, then optionally a country in parentheses and issue or expiry
 * dates, which are not part of the value.
 */
const IDENTIFIER_LABELS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Diplomatic Passport\s+/i, 'Diplomatic Passport'],
  [/^Passport(?:\s+No\.?|\s+Number)?:?\s+/i, 'Passport'],
  [/^National ID (?:No\.?|Number):?\s+/i, 'National ID'],
  [/^National Identification Number:?\s+/i, 'National ID'],
  [/^Cedula No\.?\s+/i, 'Cedula'],
  [/^(?:Vessel Registration Identification|Identification Number) IMO\s+/i, 'IMO'],
  [/^MMSI\s+/i, 'MMSI'],
  [/^SWIFT\/BIC\s+/i, 'SWIFT/BIC'],
  [/^Tax ID No\.?\s+/i, 'Tax ID'],
  [/^Registration (?:ID|Number)\s+/i, 'Registration ID'],
  [/^Identification Number\s+/i, 'Identification Number'],
  [/^SSN\s+/i, 'SSN'],
  [/^D\.N\.I\.\s+/i, 'DNI'],
  [/^(?:R\.F\.C\.|RFC)\s+(?:#\s*)?/i, 'RFC'],
  [/^C\.U\.R\.P\.\s+(?:#\s*)?/i, 'CURP'],
  [/^C\.U\.I\.P\.\s+/i, 'CUIP'],
  [/^NIT\s+#\s*/i, 'NIT'],
  [/^Personal ID Card\s+/i, 'Personal ID Card'],
  [/^Driver's License No\.?\s+/i, "Driver's License"],
  [/^Citizen's Card Number\s+/i, "Citizen's Card"],
  [/^Birth Certificate Number\s+/i, 'Birth Certificate'],
  [/^Travel Document Number\s+/i, 'Travel Document'],
  [/^Residency Number\s+/i, 'Residency Number'],
  [/^Numero de Identidad\s+/i, 'Numero de Identidad'],
  [/^(?:Electoral Registry No\.?|Credencial electoral|I\.F\.E\.)\s+/i, 'Electoral ID'],
  [/^Aircraft Manufacturer's Serial Number \(MSN\)\s+/i, 'Aircraft MSN'],
  [/^(?:Previous )?Aircraft Tail Number\s+/i, 'Aircraft Tail Number'],
  [/^Aircraft Construction Number(?: \([^)]*\))?\s+/i, 'Aircraft Construction Number'],
  [/^(?:UK )?Company Number\s+/i, 'Company Number'],
  [/^Business Registration (?:Document #|Number)\s*/i, 'Business Registration'],
  [/^Commercial Registry Number\s+/i, 'Commercial Registry'],
  [/^Certificate of Incorporation Number\s+/i, 'Certificate of Incorporation'],
  [/^Chamber of Commerce Number\s+/i, 'Chamber of Commerce'],
  [/^Trade License No\.?\s+/i, 'Trade License'],
  [/^(?:Matricula|Folio) Mercantil No\.?\s+/i, 'Mercantile Registry'],
  [/^Government Gazette Number\s+/i, 'Government Gazette'],
  [/^D-U-N-S Number\s+/i, 'DUNS'],
  [/^V\.A\.T\. Number\s+/i, 'VAT'],
  [/^US FEIN\s+/i, 'US FEIN'],
  [/^Italian Fiscal Code\s+/i, 'Italian Fiscal Code'],
  [/^RTN\s+/i, 'RTN'],
  [/^LE Number\s+/i, 'LE Number'],
  [/^BIK \(RU\)\s+/i, 'BIK'],
  [/^Email Address\s+/i, 'Email'],
];
const DIGITAL_CURRENCY = /^Digital Currency Address - ([A-Za-z0-9]+)\s+(\S+)/i;
/** Where a value ends: a country in parentheses, or issue and expiry dates. */
const VALUE_END = /\s+\(|\s+issued\b|\s+expires\b|,\s+issued\b|,\s/i;

const DOB = /^DOB\s+(.+)$/i;
const NATIONALITY = /^(?:nationality|citizen)(?:\s+of\s+registration)?\s*:?\s+(.+)$/i;
const ALIAS = /^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.),?\s+(.+)$/i;

/**
 * Reads the statements of Remarks the matcher can use. A statement it does not know is
 * simply left in the remarks; a date of birth it cannot read is reported as a warning.
 */
export function parseRemarks(
  builder: EntryBuilder,
  remarks: string,
  warn: (code: string, detail: string) => void,
): void {
  if (remarks === '') return;
  for (const raw of remarks.split(';')) {
    const statement = raw
      .trim()
      .replace(/\.$/, '')
      .replace(/^alt\.\s+/i, '');
    if (statement === '') continue;

    let match = DOB.exec(statement);
    if (match) {
      const value = match[1] ?? '';
      const date = ofacBirthDate(value);
      if (date !== undefined) builder.birthDates.add(date);
      else warn('unparsed_birth_date', `entry ${builder.sourceId}: DOB ${show(value)} not understood`);
      continue;
    }
    match = NATIONALITY.exec(statement);
    if (match) {
      const country = (match[1] ?? '').replace(/^possibly\s+/i, '').trim();
      if (country !== '') builder.nationalities.add(countryCode(country));
      continue;
    }
    match = ALIAS.exec(statement);
    if (match) {
      const name = (match[2] ?? '').trim().replace(/^'(.*)'$/s, '$1');
      builder.addName(name, (match[1] ?? '').toLowerCase() === 'f.k.a.' ? 'former' : 'weak_alias');
      continue;
    }
    match = DIGITAL_CURRENCY.exec(statement);
    if (match) {
      builder.identifiers.add(
        `Digital Currency Address ${(match[1] ?? '').toUpperCase()}: ${match[2] ?? ''}`,
      );
      continue;
    }
    for (const [label, type] of IDENTIFIER_LABELS) {
      const found = label.exec(statement);
      if (!found) continue;
      const rest = statement.slice(found[0].length);
      const end = VALUE_END.exec(rest);
      const value = (end ? rest.slice(0, end.index) : rest).trim().replace(/[.,]$/, '');
      if (value !== '') builder.identifiers.add(`${type}: ${value}`);
      break;
    }
  }
}

const FULL_DATE = /^(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})$/;
const MONTH_YEAR = /^([A-Za-z]{3,9})\.?\s+(\d{4})$/;
const YEAR_ONLY = /^(\d{4})$/;
const YEAR_SPAN = /^(\d{4})\s*-\s*(\d{4})$/;
const TO = /^(.+?)\s+to\s+(.+)$/i;

/**
 * A DOB as OFAC writes it — `15 Jan 1962`, `Jan 1962`, `1962`, `circa 1962`,
 * `1950 to 1955`, `01 Jan 1950 to 31 Dec 1952`, `circa 1950-1955` — in the stored form.
 * "circa" and a month without a day keep only the year; a range keeps its years.
 */
export function ofacBirthDate(text: string): string | undefined {
  const circa = /^circa\s+/i.test(text.trim());
  const value = text.trim().replace(/^circa\s+/i, '');
  const span = YEAR_SPAN.exec(value);
  if (span) return yearRange(Number(span[1]), Number(span[2]));
  const to = TO.exec(value);
  if (to) {
    const from = yearOf(to[1] ?? '');
    const until = yearOf(to[2] ?? '');
    return from !== undefined && until !== undefined ? yearRange(from, until) : undefined;
  }
  const full = FULL_DATE.exec(value);
  if (full) {
    const month = monthNumber(full[2] ?? '');
    const year = Number(full[3]);
    if (month === undefined) return undefined;
    if (circa) return isPlausibleYear(year) ? String(year) : undefined;
    return isoDate(year, month, Number(full[1]));
  }
  const year = yearOf(value);
  return year === undefined ? undefined : String(year);
}

/** The year of `1962`, `Jan 1962` or `15 Jan 1962`, if the rest of it is a real month. */
function yearOf(text: string): number | undefined {
  const value = text.trim();
  let year: number | undefined;
  let match = YEAR_ONLY.exec(value);
  if (match) year = Number(match[1]);
  match = MONTH_YEAR.exec(value);
  if (match && monthNumber(match[1] ?? '') !== undefined) year = Number(match[2]);
  match = FULL_DATE.exec(value);
  if (match && monthNumber(match[2] ?? '') !== undefined) year = Number(match[3]);
  return year !== undefined && isPlausibleYear(year) ? year : undefined;
}
