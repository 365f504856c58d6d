// Proves the OFAC SDN legacy CSV loader on the published files: counts by type, entries checked
// field by field (aliases from alt.csv and from remarks, several dates of birth, documents, vessel
// and aircraft identifiers, remarks continued in sdn_comments.csv), and that malformed files are
// refused with a code naming file, line and field.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScreeningListError } from '../../../src/aml/screening/lists/errors.ts';
import {
  ofacBirthDate,
  ofacPathsIn,
  parseOfacSdn,
  readOfacSdn,
} from '../../../src/aml/screening/lists/ofac.ts';
import type { ParsedList } from '../../../src/aml/screening/lists/parsed.ts';
import { decodeSource, readSource, sourceFromText } from '../../../src/aml/screening/lists/source.ts';
import type { ListEntry } from '../../../src/aml/screening/types.ts';
import { SANCTIONS_DIR } from '../sanctions-dir.ts';

const OFAC_DIR = `${SANCTIONS_DIR}ofac_sdn/`;
const absent = !existsSync(join(OFAC_DIR, 'sdn.csv'));

function entry(list: ParsedList, sourceId: string): ListEntry {
  const found = list.entries.find((e) => e.sourceId === sourceId);
  if (!found) throw new Error(`entry ${sourceId} not found`);
  return found;
}

describe.skipIf(absent)('OFAC SDN sample files', () => {
  let sdn: ParsedList;

  beforeAll(async () => {
    const paths = ofacPathsIn(OFAC_DIR);
    const startMs = performance.now();
    sdn = await readOfacSdn(paths);
    const firstMs = performance.now() - startMs;
    // Again from text already in memory, the code warm: the parse alone.
    const sources = {
      sdn: await readSource(paths.sdn),
      alt: await readSource(paths.alt),
      add: await readSource(paths.add),
      comments: await readSource(paths.comments),
    };
    const parseStartMs = performance.now();
    parseOfacSdn(sources);
    const parseMs = performance.now() - parseStartMs;
    console.log(
      `[timing] OFAC SDN (${sdn.entries.length} entries, 4 files): read and parse ${firstMs.toFixed(0)} ms on first run, parse alone ${parseMs.toFixed(0)} ms warm`,
    );
  });

  it('reads every entry, by type', () => {
    const byType = new Map<string, number>();
    for (const e of sdn.entries) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    expect(sdn.entries).toHaveLength(7379);
    expect(Object.fromEntries(byType)).toEqual({
      individual: 3845,
      entity: 2994,
      vessel: 323,
      aircraft: 217,
    });
    expect(sdn.list).toBe('ofac_sdn');
    expect(sdn.format).toBe('ofac_sdn_csv');
    expect(new Set(sdn.entries.map((e) => e.sourceId)).size).toBe(7379);
  });

  it('records each file with its hash and size', () => {
    expect(sdn.files.map((f) => f.name)).toEqual(['sdn.csv', 'alt.csv', 'add.csv', 'sdn_comments.csv']);
    for (const file of sdn.files) {
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(file.bytes).toBeGreaterThan(0);
    }
  });

  it('warns, with counts, about rows naming entries the extract does not have', () => {
    // The sample sdn.csv is an extract; alt, add and comments are the full files.
    const orphans = sdn.warnings.filter((w) => w.code === 'orphan_row');
    expect(orphans.map((w) => [w.file, w.count])).toEqual([
      ['alt.csv', 7698],
      ['add.csv', 9121],
      ['sdn_comments.csv', 10],
    ]);
    expect(sdn.warnings.filter((w) => w.code !== 'orphan_row')).toEqual([]);
  });

  it('reads an individual with two dates of birth, aliases from both files and a passport', () => {
    expect(entry(sdn, '7150')).toEqual({
      list: 'ofac_sdn',
      sourceId: '7150',
      type: 'individual',
      names: [
        { full: 'AL-LIBI, Abd al-Muhsin', kind: 'primary', script: 'Latn' },
        { full: 'ABU BAKR, Ibrahim Ali Muhammad', kind: 'alias', script: 'Latn' },
        { full: 'SABRI, Abdel Ilah', kind: 'alias', script: 'Latn' },
        { full: 'TANTOUSH, Ibrahim Ali Abu Bakr', kind: 'alias', script: 'Latn' },
        { full: 'TANTOUCHE, Ibrahim Abubaker', kind: 'alias', script: 'Latn' },
        { full: 'TANTOUSH, Ibrahim Abubaker', kind: 'alias', script: 'Latn' },
        // OFAC's weak aliases live in the remarks; a leading apostrophe is part of the name.
        { full: 'ABU ANAS', kind: 'weak_alias', script: 'Latn' },
        { full: "'ABD AL-MUHSI", kind: 'weak_alias', script: 'Latn' },
        { full: "'ABD AL-RAHMAN", kind: 'weak_alias', script: 'Latn' },
      ],
      birthDates: ['1966', '1969-10-27'],
      nationalities: ['LY'],
      countries: ['ZA'],
      programs: ['SDGT'],
      identifiers: ['Passport: 203037'],
      remarks:
        "DOB 1966; alt. DOB 27 Oct 1969; nationality Libya; Passport 203037 (Libya); a.k.a. 'ABU ANAS'; a.k.a. ''ABD AL-MUHSI'; a.k.a. ''ABD AL-RAHMAN'.",
    });
  });

  it('joins remarks cut at 1,000 characters with their continuation in sdn_comments.csv', () => {
    const e = entry(sdn, '12300');
    expect(e.names).toEqual([{ full: 'CIFUENTES VILLA, Jorge Milton', kind: 'primary', script: 'Latn' }]);
    expect(e.birthDates).toEqual(['1965-05-13', '1968-04-13', '1964-07-07']);
    expect(e.identifiers).toEqual([
      'Cedula: 7548733',
      'Cedula: 70163752',
      'Cedula: 172489729-1',
      'Passport: AL720622',
      'RFC: CIVJ650513LJA',
      'RFC: OUSV-640707',
      'CURP: CIVJ650513HNEFLR06',
      'CURP: OUVS640707HTSSLR07',
      'Mercantile Registry: 181301-1 Cali',
      'Mercantile Registry: 405885 Bogota',
    ]);
    // "PROMO RAI" ends sdn.csv's 1,000 characters, "Z S.A.S." begins the comment.
    expect(e.remarks).toContain('Linked To: PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL INMOBILIARIA');
    expect(e.remarks?.endsWith('Linked To: R D I S.A.')).toBe(true);
    expect(e.remarks?.length).toBe(1000 + 596);
  });

  it('reads an organisation with addresses in several countries and a weak alias', () => {
    expect(entry(sdn, '306')).toEqual({
      list: 'ofac_sdn',
      sourceId: '306',
      type: 'entity',
      names: [
        { full: 'BANCO NACIONAL DE CUBA', kind: 'primary', script: 'Latn' },
        { full: 'NATIONAL BANK OF CUBA', kind: 'alias', script: 'Latn' },
        { full: 'BNC', kind: 'weak_alias', script: 'Latn' },
      ],
      birthDates: [],
      nationalities: [],
      countries: ['CH', 'ES', 'JP', 'PA'],
      programs: ['CUBA'],
      identifiers: [],
      remarks: "a.k.a. 'BNC'.",
    });
  });

  it('reads a vessel: former names, flag, call sign, IMO and MMSI', () => {
    const e = entry(sdn, '15036');
    expect(e.type).toBe('vessel');
    expect(e.names).toEqual([
      { full: 'ARTAVIL', kind: 'primary', script: 'Latn' },
      { full: 'ABADAN', kind: 'former', script: 'Latn' },
      { full: 'SHONA', kind: 'former', script: 'Latn' },
    ]);
    expect(e.nationalities).toEqual(['IR']);
    expect(e.identifiers).toEqual(['Call Sign: T2EU4', 'IMO: 9187629', 'MMSI: 572469210']);
    expect(e.programs).toEqual(['IRAN']);
  });

  it('reads an aircraft and splits multi-programme cells', () => {
    expect(entry(sdn, '15431').identifiers).toEqual([
      'Aircraft Construction Number: 8401',
      'Aircraft MSN: 1023409321',
    ]);
    const multi = sdn.entries.filter((e) => e.programs.length > 1);
    expect(multi.length).toBeGreaterThan(300);
    for (const e of multi) for (const p of e.programs) expect(p).not.toMatch(/[[\]]/);
    expect(multi.some((e) => e.programs.includes('NPWMD') && e.programs.includes('IFSR'))).toBe(true);
  });

  it('maps the countries of the files to ISO codes, keeping regions and unknowns as written', () => {
    const unmapped = new Set<string>();
    for (const e of sdn.entries) {
      for (const c of [...e.nationalities, ...e.countries]) if (!/^[A-Z]{2}$/.test(c)) unmapped.add(c);
    }
    expect([...unmapped].sort()).toEqual([
      'Eritrean',
      'Netherlands Antilles',
      'Region: Crimea',
      'Region: Kafia Kingi',
      'Region: Northern Mali',
      'undetermined',
    ]);
  });

  it('reads a date of birth from every individual that states one', () => {
    const individuals = sdn.entries.filter((e) => e.type === 'individual');
    const stating = individuals.filter((e) => /\bDOB\b/.test(e.remarks ?? ''));
    for (const e of stating) expect(e.birthDates.length, e.sourceId).toBeGreaterThan(0);
    for (const e of sdn.entries) {
      for (const d of e.birthDates) expect(d).toMatch(/^\d{4}(-\d{2}-\d{2}|-\d{4})?$/);
    }
  });
});

describe('OFAC dates of birth', () => {
  it.each([
    ['15 Jan 1962', '1962-01-15'],
    ['1962', '1962'],
    ['Jan 1962', '1962'],
    ['circa 1951', '1951'],
    ['circa 01 Jan 1951', '1951'],
    ['1950 to 1955', '1950-1955'],
    ['01 Jan 1950 to 31 Dec 1952', '1950-1952'],
    ['circa 1950-1955', '1950-1955'],
    ['29 Feb 1964', '1964-02-29'],
  ])('reads %j as %j', (text, stored) => {
    expect(ofacBirthDate(text)).toBe(stored);
  });

  it.each(['31 Feb 1962', '15 Foo 1962', '1955 to 1950', 'unknown', '0001'])('does not guess %j', (text) => {
    expect(ofacBirthDate(text)).toBeUndefined();
  });

  it('warns about a DOB it cannot read and keeps it in the remarks', () => {
    const parsed = parseOfacSdn({
      sdn: sourceFromText(
        'sdn.csv',
        '1,"DOE, John","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 31 Feb 1962."\n',
      ),
    });
    expect(parsed.entries[0]?.birthDates).toEqual([]);
    expect(parsed.entries[0]?.remarks).toBe('DOB 31 Feb 1962.');
    expect(parsed.warnings).toMatchObject([
      { code: 'unparsed_birth_date', file: 'sdn.csv', line: 1, count: 1 },
    ]);
  });
});

const ROW = (id: string, name = `"NAME ${id}"`) =>
  `${id},${name},-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- `;

function refusal(sdnText: string, extra: { alt?: string } = {}): ScreeningListError {
  try {
    parseOfacSdn({
      sdn: sourceFromText('sdn.csv', sdnText),
      ...(extra.alt !== undefined ? { alt: sourceFromText('alt.csv', extra.alt) } : {}),
    });
  } catch (error) {
    if (error instanceof ScreeningListError) return error;
    throw error;
  }
  throw new Error('expected a ScreeningListError');
}

describe('malformed OFAC files', () => {
  it('accepts CRLF line ends, a trailing Ctrl-Z, quoted commas, "" and line breaks inside quotes', () => {
    const text = `${ROW('1', '"A, B ""C"" D"')}\r\n2,"MULTI\r\nLINE",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n${ROW('3')}\r\n\x1a`;
    const parsed = parseOfacSdn({ sdn: sourceFromText('sdn.csv', text) });
    expect(parsed.entries.map((e) => e.names[0]?.full)).toEqual(['A, B "C" D', 'MULTI LINE', 'NAME 3']);
  });

  it('names the line of a row with the wrong number of fields, counting lines inside quotes', () => {
    const text = `1,"TWO\nLINES",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n${ROW('2')}\n3,"SHORT",-0- \n`;
    const error = refusal(text);
    expect(error.code).toBe('SCREENING_LIST_WRONG_FIELD_COUNT');
    expect(error.line).toBe(4);
    expect(error.file).toBe('sdn.csv');
    expect(error.message).toMatch(/^sdn\.csv, line 4: 3 fields where 12 are expected/);
  });

  it('refuses a quote that is never closed, naming the line where it opened', () => {
    const atEnd = refusal(`${ROW('1')}\n${ROW('2')}\n3,"UNCLOSED,-0- \n`);
    expect(atEnd).toMatchObject({ code: 'SCREENING_LIST_BAD_CSV', line: 3 });
    expect(atEnd.message).toMatch(/never closed/);
    // Mid-file, the next quote closes it: the error still points at the line where it opened.
    const midFile = refusal(`${ROW('1')}\n2,"UNCLOSED,-0- \n${ROW('3')}\n`);
    expect(midFile).toMatchObject({ code: 'SCREENING_LIST_BAD_CSV', line: 2 });
    expect(midFile.message).toMatch(/only closes on line 3/);
  });

  it('refuses text after a closing quote and a quote inside an unquoted field', () => {
    expect(refusal(`${ROW('1', '"NAME"X')}\n`)).toMatchObject({ code: 'SCREENING_LIST_BAD_CSV', line: 1 });
    expect(refusal(`${ROW('1')}\n${ROW('2', 'NA"ME')}\n`)).toMatchObject({
      code: 'SCREENING_LIST_BAD_CSV',
      line: 2,
    });
  });

  it('refuses a bad or repeated ent_num and an entry without a name', () => {
    expect(refusal(`${ROW('1')}\n${ROW('x1')}\n`)).toMatchObject({
      code: 'SCREENING_LIST_BAD_ID',
      line: 2,
      field: 'ent_num',
    });
    expect(refusal(`${ROW('7')}\n${ROW('8')}\n${ROW('7')}\n`)).toMatchObject({
      code: 'SCREENING_LIST_DUPLICATE_ID',
      line: 3,
      field: 'ent_num',
    });
    expect(refusal(`${ROW('1', '-0- ')}\n`)).toMatchObject({
      code: 'SCREENING_LIST_MISSING_NAME',
      line: 1,
      field: 'SDN_Name',
    });
  });

  it('names the file and line of a bad row in alt.csv', () => {
    const error = refusal(`${ROW('1')}\n`, { alt: '1,10,"aka","ONE",-0- \n1,11,"aka"\n' });
    expect(error).toMatchObject({ code: 'SCREENING_LIST_WRONG_FIELD_COUNT', file: 'alt.csv', line: 2 });
  });

  it('refuses an empty file, invalid UTF-8 with its line, and a missing file', async () => {
    expect(refusal('\n\n')).toMatchObject({ code: 'SCREENING_LIST_EMPTY' });
    const bytes = Buffer.concat([
      Buffer.from(`${ROW('1')}\n2,"CAF`),
      Buffer.from([0xe9]),
      Buffer.from('"\n'),
    ]);
    let error: unknown;
    try {
      decodeSource('sdn.csv', bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'SCREENING_LIST_BAD_ENCODING', file: 'sdn.csv', line: 2 });
    await expect(readOfacSdn({ sdn: '/nonexistent/sdn.csv' })).rejects.toMatchObject({
      code: 'SCREENING_LIST_UNREADABLE',
      file: 'sdn.csv',
    });
  });

  describe('through files on disk', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bulwark-ofac-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reports the file of a bad row among the four', async () => {
      writeFileSync(join(dir, 'sdn.csv'), `${ROW('1')}\n`);
      writeFileSync(join(dir, 'alt.csv'), '1,10,"aka","ONE",-0- \n');
      writeFileSync(join(dir, 'add.csv'), '1,20,-0- ,"Paris","France",-0- \n1,21,"x"\n');
      writeFileSync(join(dir, 'sdn_comments.csv'), '');
      await expect(readOfacSdn(ofacPathsIn(dir))).rejects.toMatchObject({
        code: 'SCREENING_LIST_WRONG_FIELD_COUNT',
        file: 'add.csv',
        line: 2,
      });
      writeFileSync(join(dir, 'add.csv'), '1,20,-0- ,"Paris","France",-0- \n');
      const parsed = await readOfacSdn(ofacPathsIn(dir));
      expect(parsed.entries[0]).toMatchObject({
        countries: ['FR'],
        names: [{ full: 'NAME 1' }, { full: 'ONE' }],
      });
    });
  });
});
