/**
 * The UN Security Council consolidated list (XML): `INDIVIDUALS/INDIVIDUAL` and
 * `ENTITIES/ENTITY` records, identified by REFERENCE_NUMBER (e.g. `QDi.290`).
 *
 * - The primary name is FIRST_NAME … FOURTH_NAME joined; NAME_ORIGINAL_SCRIPT (Arabic,
 *   Cyrillic) becomes a `native` name.
 * - Aliases carry a QUALITY: individuals' `Good` / `Low` (a weak alias), entities' `a.k.a.`
 *   / `f.k.a.`. Some aliases hold a second, original-script form, as in
 *   `Jin Tiesan (金铁三)` or `Abu Banat (original script: Абу Банат)`; the two forms become
 *   two names, each with its script, so the matcher can compare like with like.
 * - Dates of birth are EXACT (a DATE or a YEAR), APPROXIMATELY (a YEAR) or BETWEEN
 *   (FROM_YEAR, TO_YEAR). A few carry only a NOTE ("Nov. 1973", "Between Aug. and Sep.
 *   1977"): a single plausible year in it is kept; anything else ("30-35 years old", a
 *   Hijri date) is appended to the remarks rather than guessed at. Aliases may carry
 *   their own DATE_OF_BIRTH, which is kept with the others.
 * - Documents become identifiers (`Passport: …`, `National ID: …`).
 *
 * The parse is strict about structure (well-formed XML, the expected root, a reference
 * number and a name per record, dates shaped as dates) and lenient about content, which
 * is kept as written when it cannot be mapped. XML errors name the line and column; record
 * errors name the line of the record's element.
 */

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { EntityType, ListEntry, ListName } from '../types.ts';
import { countryCode } from './countries.ts';
import { isoDate, isPlausibleYear, yearRange } from './dates.ts';
import { ScreeningListError, show } from './errors.ts';
import { EntryBuilder, LIST_ENTRIES_MAX, type ParsedList, WarningLog } from './parsed.ts';
import { lineAt, readSource, type SourceText } from './source.ts';
import { cleanText, isNonLatin } from './text.ts';

export const UN_CONSOLIDATED_LIST = 'un_consolidated';

export interface UnOptions {
  /** The list name entries carry; defaults to `un_consolidated`. */
  list?: string;
}

export async function readUnConsolidated(path: string, options: UnOptions = {}): Promise<ParsedList> {
  return parseUnConsolidated(await readSource(path), options);
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Every value stays text: "0094195" is a document number, not 94195.
  parseTagValue: false,
  trimValues: true,
  // Every element is an array, so a record with one alias reads like a record with five.
  isArray: () => true,
});

export function parseUnConsolidated(source: SourceText, options: UnOptions = {}): ParsedList {
  const list = options.list ?? UN_CONSOLIDATED_LIST;
  const file = source.file.name;
  const valid = XMLValidator.validate(source.text);
  if (valid !== true) {
    throw new ScreeningListError('SCREENING_LIST_BAD_XML', `${valid.err.msg} (column ${valid.err.col})`, {
      file,
      line: valid.err.line,
    });
  }
  let document: unknown;
  try {
    document = parser.parse(source.text);
  } catch (error) {
    // The validator passed, so this is one of the parser's own limits (entity expansion).
    const reason = error instanceof Error ? error.message : String(error);
    throw new ScreeningListError('SCREENING_LIST_BAD_XML', reason, { file }, { cause: error });
  }
  const root = children(document, 'CONSOLIDATED_LIST')[0];
  if (root === undefined) {
    throw new ScreeningListError(
      'SCREENING_LIST_BAD_XML',
      'the root element is not CONSOLIDATED_LIST; is this the UN consolidated list?',
      { file, line: 1 },
    );
  }
  const reader = new RecordReader(list, source, new WarningLog());
  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  const groups = [
    ['INDIVIDUALS', 'INDIVIDUAL', 'individual'],
    ['ENTITIES', 'ENTITY', 'entity'],
  ] as const;
  for (const [groupTag, recordTag, type] of groups) {
    let index = 0;
    for (const group of children(root, groupTag)) {
      for (const record of children(group, recordTag)) {
        const entry = reader.read(record, recordTag, index, type);
        if (seen.has(entry.sourceId)) {
          throw reader.error(
            'SCREENING_LIST_DUPLICATE_ID',
            recordTag,
            index,
            'REFERENCE_NUMBER',
            `${entry.sourceId} appears twice`,
          );
        }
        if (entries.length >= LIST_ENTRIES_MAX) {
          throw reader.error(
            'SCREENING_LIST_TOO_LARGE',
            recordTag,
            index,
            undefined,
            `more than ${LIST_ENTRIES_MAX} entries`,
          );
        }
        seen.add(entry.sourceId);
        entries.push(entry);
        index++;
      }
    }
  }
  if (entries.length === 0) {
    throw new ScreeningListError('SCREENING_LIST_EMPTY', 'the list has no INDIVIDUAL or ENTITY records', {
      file,
    });
  }
  return {
    list,
    format: 'un_consolidated_xml',
    entries,
    warnings: reader.warnings.list(),
    files: [source.file],
  };
}

class RecordReader {
  constructor(
    private readonly list: string,
    private readonly source: SourceText,
    readonly warnings: WarningLog,
  ) {}

  read(record: XmlNode, tag: 'INDIVIDUAL' | 'ENTITY', index: number, type: EntityType): ListEntry {
    const sourceId = text(record, 'REFERENCE_NUMBER') ?? text(record, 'DATAID');
    if (sourceId === undefined) {
      throw this.error(
        'SCREENING_LIST_BAD_ID',
        tag,
        index,
        'REFERENCE_NUMBER',
        'a record without REFERENCE_NUMBER or DATAID',
      );
    }
    const builder = new EntryBuilder(this.list, sourceId, type);
    const primary = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME']
      .map((part) => text(record, part) ?? '')
      .filter((part) => part !== '')
      .join(' ');
    if (primary === '') {
      throw this.error('SCREENING_LIST_MISSING_NAME', tag, index, 'FIRST_NAME', `${sourceId} has no name`);
    }
    builder.addName(primary, 'primary');
    for (const native of texts(record, 'NAME_ORIGINAL_SCRIPT')) builder.addName(native, 'native');

    for (const alias of children(record, `${tag}_ALIAS`)) {
      const name = text(alias, 'ALIAS_NAME');
      if (name === undefined) continue;
      for (const form of aliasForms(name)) builder.addName(form, aliasKind(text(alias, 'QUALITY')));
      for (const date of texts(alias, 'DATE_OF_BIRTH')) {
        const stored = /^\d{4}$/.test(date)
          ? isPlausibleYear(Number(date))
            ? date
            : undefined
          : this.date(date, tag, index, sourceId);
        if (stored !== undefined) builder.birthDates.add(stored);
      }
    }

    const notes: string[] = [];
    for (const birth of children(record, 'INDIVIDUAL_DATE_OF_BIRTH')) {
      const stored = this.birthDate(birth, tag, index, sourceId);
      if (stored !== undefined) builder.birthDates.add(stored);
      else {
        const note = text(birth, 'NOTE');
        if (note !== undefined) notes.push(`Date of birth: ${note}`);
      }
    }

    for (const nationality of children(record, 'NATIONALITY')) {
      for (const value of texts(nationality, 'VALUE')) {
        // "na" is the list's "not available", not a country.
        if (value.toLowerCase() !== 'na') builder.nationalities.add(countryCode(value));
      }
    }
    for (const address of children(record, `${tag}_ADDRESS`)) {
      const country = text(address, 'COUNTRY');
      if (country !== undefined) builder.countries.add(countryCode(country));
    }
    const program = text(record, 'UN_LIST_TYPE');
    if (program !== undefined) builder.programs.add(program);
    for (const document of children(record, 'INDIVIDUAL_DOCUMENT')) {
      const number = text(document, 'NUMBER');
      if (number !== undefined)
        builder.identifiers.add(`${documentType(text(document, 'TYPE_OF_DOCUMENT'))}: ${number}`);
    }

    const comments = texts(record, 'COMMENTS1');
    return builder.build([...comments, ...notes].join(' ') || undefined);
  }

  /** The stored form of one INDIVIDUAL_DATE_OF_BIRTH, or undefined when it has no usable date. */
  private birthDate(birth: XmlNode, tag: string, index: number, sourceId: string): string | undefined {
    const date = text(birth, 'DATE');
    if (date !== undefined) return this.date(date, tag, index, sourceId);
    const year = text(birth, 'YEAR');
    if (year !== undefined) return this.year(year, tag, index, sourceId, 'YEAR');
    const from = text(birth, 'FROM_YEAR');
    const to = text(birth, 'TO_YEAR');
    if (from !== undefined && to !== undefined) {
      const fromYear = this.year(from, tag, index, sourceId, 'FROM_YEAR');
      const toYear = this.year(to, tag, index, sourceId, 'TO_YEAR');
      const range =
        fromYear !== undefined && toYear !== undefined
          ? yearRange(Number(fromYear), Number(toYear))
          : undefined;
      if (range === undefined)
        this.warn('unparsed_birth_date', tag, index, `${sourceId}: FROM_YEAR ${from} TO_YEAR ${to} ignored`);
      return range;
    }
    const note = text(birth, 'NOTE');
    if (note === undefined) return undefined;
    // "Nov. 1973", "Between Aug. and Sep. 1977": one plausible year and no other number.
    const numbers = note.match(/\d+/g) ?? [];
    const only = numbers.length === 1 ? numbers[0] : undefined;
    return only !== undefined && only.length === 4 && isPlausibleYear(Number(only)) ? only : undefined;
  }

  /**
   * A DATE must be shaped `YYYY-MM-DD`; a shaped date that is not on the calendar
   * (`1961-02-30`) keeps its year with a warning rather than stopping the whole list.
   */
  private date(value: string, tag: string, index: number, sourceId: string): string | undefined {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!match) {
      throw this.error(
        'SCREENING_LIST_BAD_VALUE',
        tag,
        index,
        'DATE',
        `${sourceId}: ${show(value)} is not a date (YYYY-MM-DD)`,
      );
    }
    const iso = isoDate(Number(match[1]), Number(match[2]), Number(match[3]));
    if (iso !== undefined) return iso;
    this.warn(
      'impossible_date',
      tag,
      index,
      `${sourceId}: ${value} is not a calendar date; its year is kept`,
    );
    return isPlausibleYear(Number(match[1])) ? match[1] : undefined;
  }

  private year(
    value: string,
    tag: string,
    index: number,
    sourceId: string,
    field: string,
  ): string | undefined {
    if (!/^\d{4}$/.test(value)) {
      throw this.error(
        'SCREENING_LIST_BAD_VALUE',
        tag,
        index,
        field,
        `${sourceId}: ${show(value)} is not a year`,
      );
    }
    if (isPlausibleYear(Number(value))) return value;
    this.warn('implausible_year', tag, index, `${sourceId}: year ${value} ignored`);
    return undefined;
  }

  private warn(code: string, tag: string, index: number, detail: string): void {
    this.warnings.add(code, this.source.file.name, this.lineOf(tag, index), detail);
  }

  error(
    code: ScreeningListError['code'],
    tag: string,
    index: number,
    field: string | undefined,
    detail: string,
  ) {
    const line = this.lineOf(tag, index, field);
    return new ScreeningListError(code, detail, {
      file: this.source.file.name,
      line,
      ...(field !== undefined ? { field } : {}),
    });
  }

  /**
   * The line of the `index`-th `<tag>` element, or of `field` inside it. The parser keeps no
   * positions, so the text is searched again; this only runs for errors and warnings.
   */
  private lineOf(tag: string, index: number, field?: string): number {
    const { text } = this.source;
    // Not `<TAG/>`: an empty record is skipped by the reader, so it must not be counted here.
    const pattern = new RegExp(`<${tag}(?:\\s[^>]*[^/>])?>`, 'g');
    let found: RegExpExecArray | null = null;
    for (let i = 0; i <= index; i++) {
      found = pattern.exec(text);
      if (found === null) return 0;
    }
    if (found === null) return 0;
    let at = found.index;
    if (field !== undefined) {
      const end = text.indexOf(`</${tag}>`, at);
      const inside = text.indexOf(`<${field}`, at);
      if (inside !== -1 && (end === -1 || inside < end)) at = inside;
    }
    return lineAt(text, at);
  }
}

function aliasKind(quality: string | undefined): ListName['kind'] {
  switch ((quality ?? '').toLowerCase()) {
    case 'low':
      return 'weak_alias';
    case 'f.k.a.':
      return 'former';
    default:
      // "Good", "a.k.a." and the aliases the list leaves without a quality.
      return 'alias';
  }
}

/**
 * The forms an alias is written in: `Jin Tiesan (金铁三)` and `Agha Jan Alizai اغا جان عالیزی`
 * are each two names, one Latin and one in the original script. A parenthesis in Latin
 * letters (`Lom-ali Butayev (Butaev)`), or inside a name not in Latin letters
 * (`華信船務(香港)有限公司`), stays part of the name.
 */
export function aliasForms(alias: string): string[] {
  const value = cleanText(alias);
  const paren = /\(\s*(?:original script:\s*)?([^()]*)\)/i.exec(value);
  if (paren && isNonLatin(paren[1] ?? '')) {
    const outside = cleanText(`${value.slice(0, paren.index)} ${value.slice(paren.index + paren[0].length)}`);
    // Only a Latin name with its original form; 華信船務(香港)有限公司 is one name.
    if (firstNonLatinLetter(outside) === -1) {
      return [trimPunctuation(outside), trimPunctuation(paren[1] ?? '')].filter((form) => form !== '');
    }
    return [value];
  }
  const firstOther = firstNonLatinLetter(value);
  if (firstOther > 0 && isNonLatin(value.slice(firstOther)) && !isNonLatin(value.slice(0, firstOther))) {
    return [trimPunctuation(value.slice(0, firstOther)), trimPunctuation(value.slice(firstOther))].filter(
      (form) => form !== '',
    );
  }
  return [value];
}

const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;

/** The offset of the first letter that is not Latin, or -1. */
function firstNonLatinLetter(value: string): number {
  let offset = 0;
  for (const ch of value) {
    if (LETTER.test(ch) && !LATIN.test(ch)) return offset;
    offset += ch.length;
  }
  return -1;
}

function trimPunctuation(value: string): string {
  return cleanText(value).replace(/^[\s,;:]+|[\s,;:]+$/g, '');
}

function documentType(type: string | undefined): string {
  const value = (type ?? '').toLowerCase();
  if (value.includes('passport') || value.includes('passeport') || value.includes('pasaporte'))
    return 'Passport';
  if (value.includes('national identification')) return 'National ID';
  return type ?? 'Document';
}

// Reading the parser's output, which is untyped: each helper checks what it is given.

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The element children named `tag` that have content of their own (empty elements are skipped). */
function children(parent: unknown, tag: string): XmlNode[] {
  if (!isNode(parent)) return [];
  const value = parent[tag];
  if (!Array.isArray(value)) return [];
  return value.filter(isNode);
}

/** The cleaned text of each `tag` child; empty ones are skipped. */
function texts(parent: unknown, tag: string): string[] {
  if (!isNode(parent)) return [];
  const value = parent[tag];
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    const raw =
      typeof item === 'string'
        ? item
        : isNode(item) && typeof item['#text'] === 'string'
          ? item['#text']
          : '';
    const clean = cleanText(raw);
    if (clean !== '') out.push(clean);
  }
  return out;
}

function text(parent: unknown, tag: string): string | undefined {
  return texts(parent, tag)[0];
}
