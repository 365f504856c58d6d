// Proves the generic CSV and JSON Lines list formats used for internal watch lists and PEP
// lists: every column read into a ListEntry, both formats giving the same entries, and bad
// input refused with a code naming file, line and column.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScreeningListError } from '../../../src/aml/screening/lists/errors.ts';
import {
  type GenericOptions,
  parseGenericList,
  readGenericList,
} from '../../../src/aml/screening/lists/generic.ts';
import { sourceFromText } from '../../../src/aml/screening/lists/source.ts';
import type { ListEntry } from '../../../src/aml/screening/types.ts';

const CSV = [
  'id,type,name,aliases,birth_dates,nationalities,countries,programs,remarks',
  'P-1,individual,Wang Xiaoming,王小明; Xiao Ming Wang,1970-03-05;1971,CN,China;HK,PEP domestic,"Deputy mayor, 2015-2020"',
  'P-2,,"Acme ""Trading"" Ltd",,,,ir,internal,',
  '',
].join('\r\n');

const WANG: ListEntry = {
  list: 'pep_domestic',
  sourceId: 'P-1',
  type: 'individual',
  names: [
    { full: 'Wang Xiaoming', kind: 'primary', script: 'Latn' },
    { full: '王小明', kind: 'alias', script: 'Hani' },
    { full: 'Xiao Ming Wang', kind: 'alias', script: 'Latn' },
  ],
  birthDates: ['1970-03-05', '1971'],
  nationalities: ['CN'],
  countries: ['CN', 'HK'],
  programs: ['PEP domestic'],
  identifiers: [],
  remarks: 'Deputy mayor, 2015-2020',
};
const ACME: ListEntry = {
  list: 'pep_domestic',
  sourceId: 'P-2',
  type: 'unknown',
  names: [{ full: 'Acme "Trading" Ltd', kind: 'primary', script: 'Latn' }],
  birthDates: [],
  nationalities: [],
  countries: ['IR'],
  programs: ['internal'],
  identifiers: [],
};

const options: GenericOptions = { list: 'pep_domestic' };

function refusal(name: string, text: string): ScreeningListError {
  try {
    parseGenericList(sourceFromText(name, text), options);
  } catch (error) {
    if (error instanceof ScreeningListError) return error;
    throw error;
  }
  throw new Error('expected a ScreeningListError');
}

describe('generic CSV', () => {
  it('reads every column', () => {
    const parsed = parseGenericList(sourceFromText('pep.csv', CSV), options);
    expect(parsed.entries).toEqual([WANG, ACME]);
    expect(parsed.format).toBe('generic_csv');
    expect(parsed.warnings).toEqual([]);
  });

  it('matches header names without case, ignores other columns with a warning, and applies a default type', () => {
    const text = 'ID,Name,Source System\nX1,Jane Roe,crm\n';
    const parsed = parseGenericList(sourceFromText('watch.csv', text), {
      list: 'internal_watch',
      defaultType: 'individual',
    });
    expect(parsed.entries).toMatchObject([
      { sourceId: 'X1', type: 'individual', names: [{ full: 'Jane Roe' }] },
    ]);
    expect(parsed.warnings).toMatchObject([{ code: 'unknown_column', file: 'watch.csv', line: 1, count: 1 }]);
  });

  it('refuses a header without id or name, and a repeated column', () => {
    expect(refusal('l.csv', 'id,aliases\n1,a\n')).toMatchObject({
      code: 'SCREENING_LIST_MISSING_COLUMN',
      line: 1,
      field: 'name',
    });
    expect(refusal('l.csv', 'id,name,NAME\n1,a,b\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_CSV',
      field: 'name',
    });
    expect(refusal('l.csv', '')).toMatchObject({ code: 'SCREENING_LIST_EMPTY' });
    expect(refusal('l.csv', 'id,name\n')).toMatchObject({ code: 'SCREENING_LIST_EMPTY' });
  });

  it('names the line and column of a bad row', () => {
    expect(refusal('l.csv', 'id,name\n1,A\n2\n')).toMatchObject({
      code: 'SCREENING_LIST_WRONG_FIELD_COUNT',
      line: 3,
    });
    expect(refusal('l.csv', 'id,name\n1,A\n,B\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_ID',
      line: 3,
      field: 'id',
    });
    expect(refusal('l.csv', 'id,name\n1, \n')).toMatchObject({
      code: 'SCREENING_LIST_MISSING_NAME',
      line: 2,
      field: 'name',
    });
    expect(refusal('l.csv', 'id,name\n1,A\n1,B\n')).toMatchObject({
      code: 'SCREENING_LIST_DUPLICATE_ID',
      line: 3,
    });
    expect(refusal('l.csv', 'id,name,type\n1,A,person\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_VALUE',
      line: 2,
      field: 'type',
    });
    const date = refusal('l.csv', 'id,name,birth_dates\n1,A,1970-02-30\n');
    expect(date).toMatchObject({ code: 'SCREENING_LIST_BAD_VALUE', line: 2, field: 'birth_dates' });
    expect(date.message).toBe(
      'l.csv, line 2, field birth_dates: "1970-02-30" is not a birth date (YYYY-MM-DD, YYYY or YYYY-YYYY)',
    );
    expect(refusal('l.csv', 'id,name\n1,"A\n')).toMatchObject({ code: 'SCREENING_LIST_BAD_CSV', line: 2 });
  });
});

describe('generic JSON Lines', () => {
  const JSONL = [
    JSON.stringify({
      id: 'P-1',
      type: 'individual',
      name: 'Wang Xiaoming',
      aliases: ['王小明', 'Xiao Ming Wang'],
      birth_dates: '1970-03-05; 1971',
      nationalities: ['CN'],
      countries: ['China', 'HK'],
      programs: ['PEP domestic'],
      remarks: 'Deputy mayor, 2015-2020',
    }),
    '',
    JSON.stringify({
      id: 'P-2',
      name: 'Acme "Trading" Ltd',
      countries: 'ir',
      programs: 'internal',
      remarks: null,
    }),
  ].join('\n');

  it('reads the same entries as the CSV, with lists as arrays or ;-separated strings', () => {
    const parsed = parseGenericList(sourceFromText('pep.jsonl', JSONL), options);
    expect(parsed.entries).toEqual([WANG, ACME]);
    expect(parsed.format).toBe('generic_jsonl');
  });

  it('accepts an integer id and warns about unknown keys', () => {
    const parsed = parseGenericList(sourceFromText('l.ndjson', '{"id":42,"name":"A","score":9}\n'), options);
    expect(parsed.entries[0]?.sourceId).toBe('42');
    expect(parsed.warnings).toMatchObject([{ code: 'unknown_field', line: 1 }]);
  });

  it('names the line and key of bad input', () => {
    expect(refusal('l.jsonl', '{"id":"1","name":"A"}\n{"id":"2","name":\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_JSON',
      line: 2,
    });
    expect(refusal('l.jsonl', '["1","A"]\n')).toMatchObject({ code: 'SCREENING_LIST_BAD_JSON', line: 1 });
    expect(refusal('l.jsonl', '\n{"id":"1","name":["A"]}\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_VALUE',
      line: 2,
      field: 'name',
    });
    expect(refusal('l.jsonl', '{"id":"1","name":"A","aliases":["B",3]}\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_VALUE',
      field: 'aliases',
    });
    expect(refusal('l.jsonl', '{"id":1.5,"name":"A"}\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_VALUE',
      field: 'id',
    });
  });

  it('refuses a file name whose format it cannot tell', () => {
    expect(refusal('list.txt', 'id,name\n1,A\n')).toMatchObject({
      code: 'SCREENING_LIST_UNKNOWN_FORMAT',
      file: 'list.txt',
    });
  });
});

describe('generic lists on disk', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-generic-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file with a byte-order mark and records its hash', async () => {
    const path = join(dir, 'pep.csv');
    writeFileSync(path, `\ufeff${CSV}`);
    const parsed = await readGenericList(path, options);
    expect(parsed.entries).toEqual([WANG, ACME]);
    expect(parsed.files).toMatchObject([
      { name: 'pep.csv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });
});
