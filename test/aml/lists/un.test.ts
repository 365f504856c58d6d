// Proves the UN Security Council consolidated list loader on the published XML: counts of
// individuals and entities, entries checked field by field (Arabic, Cyrillic and Chinese names,
// aliases of both qualities, exact, approximate, ranged and noted dates of birth, documents), and
// that malformed XML is refused with a code naming file, line and element.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScreeningListError } from '../../../src/aml/screening/lists/errors.ts';
import type { ParsedList } from '../../../src/aml/screening/lists/parsed.ts';
import { readSource, sourceFromText } from '../../../src/aml/screening/lists/source.ts';
import { aliasForms, parseUnConsolidated, readUnConsolidated } from '../../../src/aml/screening/lists/un.ts';
import type { ListEntry } from '../../../src/aml/screening/types.ts';
import { SANCTIONS_DIR } from '../sanctions-dir.ts';

const UN_FILE = `${SANCTIONS_DIR}un/UN_consolidated.xml`;
const absent = !existsSync(UN_FILE);

function entry(list: ParsedList, sourceId: string): ListEntry {
  const found = list.entries.find((e) => e.sourceId === sourceId);
  if (!found) throw new Error(`entry ${sourceId} not found`);
  return found;
}

describe.skipIf(absent)('UN consolidated list sample file', () => {
  let un: ParsedList;

  beforeAll(async () => {
    const startMs = performance.now();
    un = await readUnConsolidated(UN_FILE);
    const firstMs = performance.now() - startMs;
    // Again from text already in memory, the code warm: the parse alone.
    const source = await readSource(UN_FILE);
    const parseStartMs = performance.now();
    parseUnConsolidated(source);
    const parseMs = performance.now() - parseStartMs;
    console.log(
      `[timing] UN consolidated (${un.entries.length} entries): read and parse ${firstMs.toFixed(0)} ms on first run, parse alone ${parseMs.toFixed(0)} ms warm`,
    );
  });

  it('reads every individual and entity, each once', () => {
    expect(un.entries.filter((e) => e.type === 'individual')).toHaveLength(730);
    expect(un.entries.filter((e) => e.type === 'entity')).toHaveLength(273);
    expect(un.entries).toHaveLength(1003);
    expect(new Set(un.entries.map((e) => e.sourceId)).size).toBe(1003);
    expect(un.list).toBe('un_consolidated');
    expect(un.files).toMatchObject([{ name: 'UN_consolidated.xml', bytes: 2030620 }]);
    expect(un.warnings).toEqual([]);
  });

  it('reads an individual with an Arabic name in original script', () => {
    expect(entry(un, 'IQi.001')).toEqual({
      list: 'un_consolidated',
      sourceId: 'IQi.001',
      type: 'individual',
      names: [
        { full: 'SADDAM HUSSEIN AL-TIKRITI', kind: 'primary', script: 'Latn' },
        { full: 'صدام حسين التكريتي', kind: 'native', script: 'Arab' },
        { full: 'Abu Ali', kind: 'weak_alias', script: 'Latn' },
      ],
      birthDates: ['1937-04-28'],
      nationalities: ['IQ'],
      countries: [],
      programs: ['Iraq'],
      identifiers: [],
    });
  });

  it('splits an alias written with its Chinese form into two names', () => {
    const e = entry(un, 'KPi.035');
    expect(e.names).toEqual([
      { full: 'KIM CHOL SAM', kind: 'primary', script: 'Latn' },
      { full: 'Jin Tiesan', kind: 'alias', script: 'Latn' },
      { full: '金铁三', kind: 'alias', script: 'Hani' },
    ]);
    expect(e.birthDates).toEqual(['1971-03-11']);
    expect(e.nationalities).toEqual(['KP']);
    expect(e.identifiers).toEqual(['Passport: 645120378']);
    expect(e.programs).toEqual(['DPRK']);
    // The comment's line breaks and indentation become single spaces.
    expect(e.remarks).toMatch(
      /^Kim Chol Sam is a representative for Daedong Credit Bank \(DCB\) who has been involved in/,
    );
    expect(e.remarks).not.toMatch(/\s{2}|\n/);
  });

  it('reads Cyrillic names, and weak aliases given with their original script', () => {
    const e = entry(un, 'QDi.396');
    expect(e.names).toEqual([
      { full: 'ASLAN AVGAZAROVICH BYUTUKAEV', kind: 'primary', script: 'Latn' },
      { full: 'Аслан Авгазарович Бютукаев', kind: 'native', script: 'Cyrl' },
      { full: 'Amir Khazmat', kind: 'weak_alias', script: 'Latn' },
      { full: 'Амир Хазмат', kind: 'weak_alias', script: 'Cyrl' },
      { full: 'Abubakar', kind: 'weak_alias', script: 'Latn' },
      { full: 'Абубакар', kind: 'weak_alias', script: 'Cyrl' },
    ]);
    expect(e.birthDates).toEqual(['1974-10-22']);
    expect(e.nationalities).toEqual(['RU']);
    expect(e.countries).toEqual(['RU']);
  });

  it('keeps every date of birth: years, a full date, and years read from notes', () => {
    const e = entry(un, 'CFi.009');
    expect(e.names.map((n) => [n.full, n.kind])).toEqual([
      ['JOSEPH KONY', 'primary'],
      ['Kony', 'alias'],
      ['Joseph Rao Kony', 'alias'],
      ['Josef Kony', 'alias'],
      ['Le Messie sanglant', 'weak_alias'],
    ]);
    // YEAR 1959, 1960, 1961, 1963; DATE 1964-09-18; YEAR 1965; NOTE "August 1961" and "July 1961"
    // (already there); DATE 1961-01-01; NOTE "April 1963" (already there).
    expect(e.birthDates).toEqual(['1959', '1960', '1961', '1963', '1964-09-18', '1965', '1961-01-01']);
    expect(e.nationalities).toEqual(['UG']);
    expect(e.countries).toEqual(['CF', 'CD']);
    expect(e.programs).toEqual(['CAR']);
  });

  it('reads BETWEEN dates as year ranges and keeps notes it cannot read in the remarks', () => {
    expect(entry(un, 'TAi.002').birthDates).toEqual(['1955-1958', '1945-1950']);
    expect(entry(un, 'TAi.002').names[1]).toEqual({ full: 'محمد حسن آخوند', kind: 'native', script: 'Arab' });
    const hijri = entry(un, 'QDi.291');
    expect(hijri.birthDates).toEqual(['1982-04-19', '1982-04-18']);
    expect(hijri.remarks?.endsWith('Date of birth: 24/06/1402 (Hijri Calendar)')).toBe(true);
    expect(hijri.identifiers).toEqual(['Passport: F654645', 'National ID: 1028745097']);
    const approximate = entry(un, 'LYi.022');
    expect(approximate.birthDates).toEqual([]);
    expect(approximate.remarks?.endsWith('Date of birth: 30-35 years old')).toBe(true);
  });

  it('reads entities: trimmed reference numbers, Chinese aliases, addresses', () => {
    expect(entry(un, 'KPe.055')).toEqual({
      list: 'un_consolidated',
      sourceId: 'KPe.055',
      type: 'entity',
      names: [
        { full: 'CHANG AN SHIPPING & TECHNOLOGY', kind: 'primary', script: 'Latn' },
        { full: '長安海連技術有限公司', kind: 'alias', script: 'Hani' },
        { full: 'CHANG AN SHIPPING AND TECHNOLOGY', kind: 'alias', script: 'Latn' },
      ],
      birthDates: [],
      nationalities: [],
      countries: ['CN'],
      programs: ['DPRK'],
      identifiers: [],
      remarks:
        'Registered owner, ship manager, and commercial manager of Panama-flagged vessel HUA FU, a cargo ship that loaded DPRK coal at Najin, DPRK on 24 September 2017.',
    });
    // A parenthesis inside a Chinese name is part of it.
    expect(entry(un, 'KPe.059').names.map((n) => n.full)).toContain('華信船務(香港)有限公司');
  });

  it('maps every nationality and address country but one to ISO codes', () => {
    const unmapped = new Set<string>();
    for (const e of un.entries) {
      for (const c of [...e.nationalities, ...e.countries]) if (!/^[A-Z]{2}$/.test(c)) unmapped.add(c);
    }
    expect([...unmapped]).toEqual(['former Soviet Union']);
  });

  it('gives every name a script and counts the original-script names', () => {
    const scripts = new Map<string, number>();
    for (const e of un.entries) {
      for (const n of e.names)
        scripts.set(`${n.kind}:${n.script}`, (scripts.get(`${n.kind}:${n.script}`) ?? 0) + 1);
    }
    expect(scripts.get('native:Arab')).toBe(366);
    expect(scripts.get('native:Cyrl')).toBe(11);
    expect(scripts.get('alias:Hani')).toBe(5);
    expect([...scripts.keys()].some((k) => k.endsWith(':undefined'))).toBe(false);
  });
});

describe('UN alias forms', () => {
  it.each([
    ['Jin Tiesan (金铁三)', ['Jin Tiesan', '金铁三']],
    ['Abu Banat (original script: Абу Банат)', ['Abu Banat', 'Абу Банат']],
    [
      'Akhter Mohmad son of Noor Mohmad (اختر محمد ولد نور محمد ),',
      ['Akhter Mohmad son of Noor Mohmad', 'اختر محمد ولد نور محمد'],
    ],
    ['Agha Jan Alizai اغا جان عالیزی', ['Agha Jan Alizai', 'اغا جان عالیزی']],
    ['Lom-ali Butayev (Butaev)', ['Lom-ali Butayev (Butaev)']],
    ['華信船務(香港)有限公司', ['華信船務(香港)有限公司']],
    ['شيخ يونس الموريتاني', ['شيخ يونس الموريتاني']],
  ])('%j is %j', (alias, forms) => {
    expect(aliasForms(alias)).toEqual(forms);
  });
});

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n';
const TAIL = '</INDIVIDUALS>\n<ENTITIES/>\n</CONSOLIDATED_LIST>\n';
const person = (ref: string, extra = '') =>
  `<INDIVIDUAL>\n<DATAID>1</DATAID>\n<FIRST_NAME>A</FIRST_NAME>\n<SECOND_NAME>B</SECOND_NAME>\n<REFERENCE_NUMBER>${ref}</REFERENCE_NUMBER>\n${extra}</INDIVIDUAL>\n`;

function refusal(xml: string): ScreeningListError {
  try {
    parseUnConsolidated(sourceFromText('un.xml', xml));
  } catch (error) {
    if (error instanceof ScreeningListError) return error;
    throw error;
  }
  throw new Error('expected a ScreeningListError');
}

describe('malformed UN files', () => {
  it('reads a minimal list', () => {
    const parsed = parseUnConsolidated(sourceFromText('un.xml', `${HEAD}${person('QDi.1')}${TAIL}`));
    expect(parsed.entries).toEqual([
      {
        list: 'un_consolidated',
        sourceId: 'QDi.1',
        type: 'individual',
        names: [{ full: 'A B', kind: 'primary', script: 'Latn' }],
        birthDates: [],
        nationalities: [],
        countries: [],
        programs: [],
        identifiers: [],
      },
    ]);
  });

  it('refuses XML that is not well formed, with its line', () => {
    const error = refusal(
      `${HEAD}${person('QDi.1')}<INDIVIDUAL>\n<FIRST_NAME>A</FIRST_NAME>\n</INDIVIDUALS>\n`,
    );
    expect(error.code).toBe('SCREENING_LIST_BAD_XML');
    expect(error.file).toBe('un.xml');
    // The parent closes on line 12 while <INDIVIDUAL> of line 10 is still open.
    expect(error.line).toBe(12);
  });

  it('refuses another document, and a list without records', () => {
    expect(refusal('<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>\n')).toMatchObject({
      code: 'SCREENING_LIST_BAD_XML',
      line: 1,
    });
    expect(refusal(`${HEAD}${TAIL}`)).toMatchObject({ code: 'SCREENING_LIST_EMPTY' });
  });

  it('names the line of a record without an id, without a name, or repeated', () => {
    const noId = `${HEAD}${person('QDi.1')}<INDIVIDUAL>\n<FIRST_NAME>C</FIRST_NAME>\n</INDIVIDUAL>\n${TAIL}`;
    expect(refusal(noId)).toMatchObject({ code: 'SCREENING_LIST_BAD_ID', line: 10 });
    const noName = `${HEAD}${person('QDi.1')}<INDIVIDUAL>\n<REFERENCE_NUMBER>QDi.2</REFERENCE_NUMBER>\n<FIRST_NAME/>\n</INDIVIDUAL>\n${TAIL}`;
    expect(refusal(noName)).toMatchObject({
      code: 'SCREENING_LIST_MISSING_NAME',
      line: 12,
      field: 'FIRST_NAME',
    });
    const twice = `${HEAD}${person('QDi.1')}${person('QDi.1')}${TAIL}`;
    expect(refusal(twice)).toMatchObject({
      code: 'SCREENING_LIST_DUPLICATE_ID',
      line: 14,
      field: 'REFERENCE_NUMBER',
    });
  });

  it('refuses a date of birth that is not a date, naming its line', () => {
    const dob =
      '<INDIVIDUAL_DATE_OF_BIRTH>\n<TYPE_OF_DATE>EXACT</TYPE_OF_DATE>\n<DATE>15/01/1962</DATE>\n</INDIVIDUAL_DATE_OF_BIRTH>\n';
    const error = refusal(`${HEAD}${person('QDi.1', dob)}${TAIL}`);
    expect(error).toMatchObject({ code: 'SCREENING_LIST_BAD_VALUE', line: 11, field: 'DATE' });
    expect(error.message).toMatch(/^un\.xml, line 11, field DATE: QDi\.1: "15\/01\/1962" is not a date/);
  });

  it('keeps the year of a date shaped right but not on the calendar, with a warning', () => {
    const dob =
      '<INDIVIDUAL_DATE_OF_BIRTH>\n<TYPE_OF_DATE>EXACT</TYPE_OF_DATE>\n<DATE>1961-02-30</DATE>\n</INDIVIDUAL_DATE_OF_BIRTH>\n';
    const parsed = parseUnConsolidated(sourceFromText('un.xml', `${HEAD}${person('QDi.1', dob)}${TAIL}`));
    expect(parsed.entries[0]?.birthDates).toEqual(['1961']);
    expect(parsed.warnings).toMatchObject([{ code: 'impossible_date', line: 4, count: 1 }]);
  });
});
