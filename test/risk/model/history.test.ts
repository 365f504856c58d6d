// Proves the labelled-history importer: CSV (RFC 4180 quoting, BOM, CRLF, line breaks inside quotes) and JSON Lines, plain or gzip, map onto exactly the seven LabelledTx fields with amounts in exact minor units; streaming honours limit, abort and progress; every refusal carries its code, the file's line and the mapped column; and the first 20,000 rows of the reference data set load with the counts an independent reading gives.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ColumnMapping,
  currencyMinorDigits,
  HANDBOOK_MAPPING,
  HistoryImportError,
  type HistoryImportErrorCode,
  type LabelledTx,
  loadLabelledHistory,
  type ReadHistoryOptions,
  readLabelledHistory,
} from '../../../src/risk/model/history.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/history/', import.meta.url));
const GOOD_CSV = join(FIXTURES, 'good.csv');
const GOOD_JSONL = join(FIXTURES, 'good.jsonl');
const REFERENCE = '/work/shared/data/fraud/handbook_2018-04_06.csv.gz';

const JSONL_MAPPING: ColumnMapping = {
  id: 'id',
  at: 'ts',
  payer: 'from',
  payee: 'to',
  amount: 'amount',
  label: 'fraud',
  currency: 'ccy',
  labelAt: 'known',
};

const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD';

const GOOD_CSV_ROWS: LabelledTx[] = [
  {
    id: '0',
    atMs: Date.UTC(2018, 3, 1, 0, 0, 31),
    payerId: '596',
    payeeId: '3156',
    amountMinor: 5716n,
    currency: 'EUR',
    label: 0,
  },
  {
    id: '1',
    atMs: Date.UTC(2018, 3, 1, 0, 2, 10),
    payerId: '4961',
    payeeId: 'shop "A", Berlin',
    amountMinor: 8151n,
    currency: 'EUR',
    label: 0,
  },
  {
    id: '2',
    atMs: Date.UTC(2018, 3, 1, 0, 7, 56),
    payerId: '2',
    payeeId: '1365',
    amountMinor: 14600n,
    currency: 'EUR',
    label: 1,
  },
  {
    id: '3',
    atMs: Date.UTC(2018, 3, 1, 0, 7, 56),
    payerId: '596',
    payeeId: '8737',
    amountMinor: 0n,
    currency: 'EUR',
    label: 0,
  },
  {
    id: '4',
    atMs: Date.UTC(2018, 3, 2, 8, 25, 22),
    payerId: '3814',
    payeeId: '6013',
    amountMinor: 8565n,
    currency: 'EUR',
    label: 1,
  },
];

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bulwark-history-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes content to a fresh file in the temporary directory; the name sets the format. */
async function write(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, `${fileCount++}-${name}`);
  await writeFile(path, content);
  return path;
}

async function collect(rows: AsyncIterable<LabelledTx>): Promise<LabelledTx[]> {
  const out: LabelledTx[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function importError(run: () => Promise<unknown>): Promise<HistoryImportError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HistoryImportError) return error;
    throw error;
  }
  throw new Error('the import was expected to fail');
}

describe('reading good files', () => {
  it('maps the CSV fixture onto the seven fields only, with exact minor units and quoted fields', async () => {
    const { rows, stats } = await loadLabelledHistory(GOOD_CSV, HANDBOOK_MAPPING);
    expect(rows).toEqual(GOOD_CSV_ROWS);
    // The scenario column must not be carried under any name.
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['amountMinor', 'atMs', 'currency', 'id', 'label', 'payeeId', 'payerId'].sort(),
      );
    }
    expect(stats).toEqual({
      rows: 5,
      positives: 2,
      firstAtMs: Date.UTC(2018, 3, 1, 0, 0, 31),
      lastAtMs: Date.UTC(2018, 3, 2, 8, 25, 22),
      payers: 4,
      payees: 5,
    });
  });

  it('reads the same rows with a byte-order mark and CRLF line ends', async () => {
    const text = await readFile(GOOD_CSV, 'utf8');
    const path = await write('bom-crlf.csv', `\uFEFF${text.replaceAll('\n', '\r\n')}`);
    expect((await loadLabelledHistory(path, HANDBOOK_MAPPING)).rows).toEqual(GOOD_CSV_ROWS);
  });

  it('reads a gzip file, reporting progress in bytes of the compressed file up to its size', async () => {
    const path = await write('good.csv.gz', gzipSync(await readFile(GOOD_CSV)));
    const calls: [number, number][] = [];
    const { rows } = await loadLabelledHistory(path, HANDBOOK_MAPPING, {
      onProgress: (bytesRead, bytesTotal) => calls.push([bytesRead, bytesTotal]),
    });
    expect(rows).toEqual(GOOD_CSV_ROWS);
    const size = (await stat(path)).size;
    expect(calls.at(-1)).toEqual([size, size]);
    for (let i = 1; i < calls.length; i++)
      expect(calls[i]?.[0]).toBeGreaterThanOrEqual(calls[i - 1]?.[0] ?? 0);
  });

  it('maps the JSON Lines fixture: per-row currencies and their digits, offsets, label times, numeric ids', async () => {
    const { rows, stats } = await loadLabelledHistory(GOOD_JSONL, JSONL_MAPPING);
    expect(rows).toEqual([
      {
        id: 'a1',
        atMs: Date.UTC(2024, 2, 1, 10),
        payerId: 'w1',
        payeeId: 'm1',
        amountMinor: 1250n,
        currency: 'EUR',
        label: 0,
      },
      {
        id: 'a2',
        atMs: Date.UTC(2024, 2, 1, 10),
        payerId: 'w2',
        payeeId: 'm1',
        amountMinor: 1500n,
        currency: 'JPY',
        label: 1,
        labelAtMs: Date.UTC(2024, 2, 8, 10),
      },
      {
        id: '3',
        atMs: Date.UTC(2024, 2, 1, 10, 30, 0, 250),
        payerId: 'w1',
        payeeId: 'm2',
        amountMinor: 1234n,
        currency: 'KWD',
        label: 0,
      },
    ]);
    expect(stats).toMatchObject({ rows: 3, positives: 1, payers: 2, payees: 2 });
    expect(rows[0]).not.toHaveProperty('scenario');
  });

  it('reads gzip JSON Lines named .ndjson.gz, and any name when the format is given', async () => {
    const text = await readFile(GOOD_JSONL);
    const gz = await write('good.ndjson.gz', gzipSync(text));
    expect((await loadLabelledHistory(gz, JSONL_MAPPING)).rows).toHaveLength(3);
    const txt = await write('export.txt', text);
    expect((await loadLabelledHistory(txt, JSONL_MAPPING, { format: 'jsonl' })).rows).toHaveLength(3);
  });

  it('reads epoch seconds, epoch milliseconds and amounts already in minor units', async () => {
    const base = { ...HANDBOOK_MAPPING, amountUnit: 'minor' } as const;
    const seconds = await write(
      'epoch-s.csv',
      `${HEADER}\n1,1522540831,c,t,5716,0\n2,1522540831.5,c,t,1,1\n3,1522540832.25,c,t,0,0\n`,
    );
    const s = await loadLabelledHistory(seconds, { ...base, atFormat: 'epoch-s' });
    expect(s.rows.map((r) => r.atMs)).toEqual([1522540831000, 1522540831500, 1522540832250]);
    expect(s.rows.map((r) => r.amountMinor)).toEqual([5716n, 1n, 0n]);
    const millis = await write(
      'epoch-ms.csv',
      `${HEADER}\n1,1522540831000,c,t,5716,0\n2,1522540831001,c,t,9,1\n`,
    );
    const ms = await loadLabelledHistory(millis, { ...base, atFormat: 'epoch-ms' });
    expect(ms.rows.map((r) => r.atMs)).toEqual([1522540831000, 1522540831001]);
  });

  it('accepts ISO 8601 forms and reads zone-less times as UTC', async () => {
    const times = [
      '2024-03-01 10:00:00',
      '2024-03-01T10:00:01Z',
      '2024-03-01T12:00:02+02:00',
      '2024-03-01T05:00:03-0500',
      '2024-03-01T10:00:04.123456Z',
      '2024-03-01T10:01Z',
    ];
    const path = await write(
      'iso.csv',
      `${HEADER}\n${times.map((t, i) => `${i},${t},c,t,1.00,${i % 2}`).join('\n')}\n`,
    );
    const { rows } = await loadLabelledHistory(path, HANDBOOK_MAPPING);
    const base = Date.UTC(2024, 2, 1, 10);
    expect(rows.map((r) => r.atMs - base)).toEqual([0, 1000, 2000, 3000, 4123, 60_000]);
  });

  it('keeps a line break inside quotes as data and still counts physical lines', async () => {
    const path = await write(
      'multiline.csv',
      `${HEADER}\r\n1,2018-04-01 00:00:00,c,"line one\r\nline two",1.00,0\r\n2,2018-04-01 00:00:01,c,t,x,1\r\n`,
    );
    const rows: LabelledTx[] = [];
    const error = await importError(async () => {
      for await (const row of readLabelledHistory(path, HANDBOOK_MAPPING)) rows.push(row);
    });
    expect(error.code).toBe('HISTORY_BAD_AMOUNT');
    expect(error.line).toBe(4);
    const clean = await write(
      'multiline-ok.csv',
      `${HEADER}\r\n1,2018-04-01 00:00:00,c,"line one\r\nline two",1.00,0\r\n2,2018-04-01 00:00:01,c,"""",2.00,1\r\n`,
    );
    const { rows: ok } = await loadLabelledHistory(clean, HANDBOOK_MAPPING);
    expect(ok.map((r) => r.payeeId)).toEqual(['line one\r\nline two', '"']);
  });

  it('reads the minor digits of a currency from the small ISO 4217 table', () => {
    expect([currencyMinorDigits('EUR'), currencyMinorDigits('JPY'), currencyMinorDigits('KRW')]).toEqual([
      2, 0, 0,
    ]);
    expect([currencyMinorDigits('BHD'), currencyMinorDigits('KWD'), currencyMinorDigits('CNY')]).toEqual([
      3, 3, 2,
    ]);
  });
});

describe('streaming', () => {
  it('yields the rows in file order, the same as loading', async () => {
    const rows = await collect(readLabelledHistory(GOOD_CSV, HANDBOOK_MAPPING));
    expect(rows).toEqual(GOOD_CSV_ROWS);
  });

  it('stops after limit rows without reading the lines after them', async () => {
    const path = await write(
      'limit.csv',
      `${HEADER}\n1,2018-04-01 00:00:00,c,t,1.00,0\n2,2018-04-01 00:00:01,c,t,1.00,1\nbroken line\n`,
    );
    expect(
      (await collect(readLabelledHistory(path, HANDBOOK_MAPPING, { limit: 2 }))).map((r) => r.id),
    ).toEqual(['1', '2']);
    expect((await loadLabelledHistory(path, HANDBOOK_MAPPING, { limit: 2 })).stats.rows).toBe(2);
    await expect(collect(readLabelledHistory(path, HANDBOOK_MAPPING, { limit: 0 }))).rejects.toThrow(
      RangeError,
    );
  });

  it('rejects with the abort reason when the signal is aborted, before or during the read', async () => {
    const before = new AbortController();
    before.abort();
    await expect(
      loadLabelledHistory(GOOD_CSV, HANDBOOK_MAPPING, { signal: before.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });

    // Several megabytes, so the file arrives in more than one chunk and the abort lands mid-way.
    const lines = [HEADER];
    for (let i = 0; i < 100_000; i++)
      lines.push(`${i},2018-04-01 00:00:00,c${i % 97},t${i % 13},1.00,${i % 2}`);
    const path = await write('large.csv', `${lines.join('\n')}\n`);
    const during = new AbortController();
    let seen = 0;
    const reading = (async () => {
      for await (const _row of readLabelledHistory(path, HANDBOOK_MAPPING, { signal: during.signal })) {
        seen++;
        if (seen === 1) during.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(1);
  });

  it('with allowUnordered, streams rows in file order and loads them sorted stably by time', async () => {
    const path = await write(
      'unordered.csv',
      `${HEADER}\na,2018-04-01 00:00:09,c,t,1.00,0\nb,2018-04-01 00:00:05,c,t,1.00,1\nc,2018-04-01 00:00:05,c,t,1.00,0\n`,
    );
    const options: ReadHistoryOptions = { allowUnordered: true };
    expect((await collect(readLabelledHistory(path, HANDBOOK_MAPPING, options))).map((r) => r.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
    const { rows, stats } = await loadLabelledHistory(path, HANDBOOK_MAPPING, options);
    expect(rows.map((r) => r.id)).toEqual(['b', 'c', 'a']);
    expect(stats.firstAtMs).toBe(Date.UTC(2018, 3, 1, 0, 0, 5));
    expect(stats.lastAtMs).toBe(Date.UTC(2018, 3, 1, 0, 0, 9));
  });

  it('lets a single-class file through the stream; only the whole-file load can refuse it', async () => {
    const path = await write('one-class.csv', `${HEADER}\n1,2018-04-01 00:00:00,c,t,1.00,0\n`);
    expect(await collect(readLabelledHistory(path, HANDBOOK_MAPPING))).toHaveLength(1);
    const error = await importError(() => loadLabelledHistory(path, HANDBOOK_MAPPING));
    expect(error.code).toBe('HISTORY_SINGLE_CLASS');
    expect(error.field).toBe('TX_FRAUD');
    expect(error.line).toBeUndefined();
  });
});

interface Refusal {
  name: string;
  code: HistoryImportErrorCode;
  file: string;
  content: string;
  mapping?: ColumnMapping;
  line: number | undefined;
  field: string | undefined;
  /** A part of the message, or the whole message when `exact`. */
  message: string;
  exact?: boolean;
}

const row = (id: string, at: string, amount: string, label: string, payer = 'c', payee = 't') =>
  `${id},${at},${payer},${payee},${amount},${label}`;
const T1 = '2018-04-01 00:00:01';
const T2 = '2018-04-01 00:00:02';

const REFUSALS: Refusal[] = [
  {
    name: 'mapped columns absent from the CSV header, all named before any row',
    code: 'HISTORY_MISSING_COLUMN',
    file: 'x.csv',
    content: 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID\n1,2018-02-30 00:00:00,c,t\n',
    line: 1,
    field: 'TX_AMOUNT, TX_FRAUD',
    message: 'the header lacks the mapped columns TX_AMOUNT, TX_FRAUD',
  },
  {
    name: 'mapped fields absent from a JSON Lines object',
    code: 'HISTORY_MISSING_COLUMN',
    file: 'x.jsonl',
    content:
      '{"id":"1","ts":"2024-01-01T00:00:00Z","from":"a","to":"b","amount":"1","ccy":"EUR","fraud":0}\n' +
      '{"id":"2","ts":"2024-01-01T00:00:00Z","from":"a","amount":"1","ccy":"EUR"}\n',
    mapping: JSONL_MAPPING,
    line: 2,
    field: 'to, fraud',
    message: 'line 2: the object lacks the mapped fields to, fraud',
  },
  {
    name: 'an amount that is not a number',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0')}\n${row('2', T2, '"12,3x"', '1')}\n`,
    line: 3,
    field: 'TX_AMOUNT',
    message: 'line 3, column TX_AMOUNT: "12,3x" is not an amount',
    exact: true,
  },
  {
    name: 'a negative amount',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '-5.00', '0')}\n`,
    line: 2,
    field: 'TX_AMOUNT',
    message: '"-5.00" is negative',
  },
  {
    name: 'more decimals than the currency has',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0')}\n${row('2', T2, '12.345', '1')}\n`,
    line: 3,
    field: 'TX_AMOUNT',
    message: '"12.345" has more decimals than EUR allows (2)',
  },
  {
    name: 'float noise when the mapping does not allow rounding it',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '85.64999999999999', '1')}\n`,
    mapping: { ...HANDBOOK_MAPPING, amountFloatNoise: 'refuse' },
    line: 2,
    field: 'TX_AMOUNT',
    message: 'it looks like float noise, which amountFloatNoise: "round" accepts',
  },
  {
    name: 'a real third decimal even when float noise is rounded',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '12.3450001', '1')}\n`,
    line: 2,
    field: 'TX_AMOUNT',
    message: 'has more decimals than EUR allows (2)',
  },
  {
    name: 'a decimal in a currency without minor units',
    code: 'HISTORY_BAD_AMOUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1500.5', '1')}\n`,
    mapping: { ...HANDBOOK_MAPPING, currency: { constant: 'JPY' } },
    line: 2,
    field: 'TX_AMOUNT',
    message: 'has more decimals than JPY allows (0)',
  },
  {
    name: 'an impossible date',
    code: 'HISTORY_BAD_DATE',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', '2018-02-28 23:59:59', '1.00', '0')}\n${row('2', '2018-02-30 10:00:00', '1.00', '1')}\n`,
    line: 3,
    field: 'TX_DATETIME',
    message: 'line 3, column TX_DATETIME: "2018-02-30 10:00:00" is not a valid time',
  },
  {
    name: 'an hour past 23',
    code: 'HISTORY_BAD_DATE',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', '2018-04-01T24:00:00Z', '1.00', '0')}\n`,
    line: 2,
    field: 'TX_DATETIME',
    message: '"2018-04-01T24:00:00Z" is not a valid time',
  },
  {
    name: 'an epoch number where a date-time was mapped',
    code: 'HISTORY_BAD_DATE',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', '1522540831', '1.00', '0')}\n`,
    line: 2,
    field: 'TX_DATETIME',
    message: 'set atFormat to "epoch-s" or "epoch-ms"',
  },
  {
    name: 'a label known before the transaction happened',
    code: 'HISTORY_BAD_DATE',
    file: 'x.jsonl',
    content:
      '{"id":"1","ts":"2024-01-02T00:00:00Z","from":"a","to":"b","amount":"1","ccy":"EUR","fraud":1,"known":"2024-01-01T00:00:00Z"}\n',
    mapping: JSONL_MAPPING,
    line: 1,
    field: 'known',
    message: 'line 1, field known: "2024-01-01T00:00:00Z" is before the transaction\'s time',
  },
  {
    name: 'a label other than 0, 1, true or false',
    code: 'HISTORY_BAD_LABEL',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0')}\n${row('2', T2, '1.00', '2')}\n`,
    line: 3,
    field: 'TX_FRAUD',
    message: 'line 3, column TX_FRAUD: "2" is not a label',
  },
  {
    name: 'an id seen before',
    code: 'HISTORY_DUPLICATE_ID',
    file: 'x.csv',
    content: `${HEADER}\n${row('7', T1, '1.00', '0')}\n${row('8', T1, '1.00', '1')}\n${row('7', T2, '2.00', '0')}\n`,
    line: 4,
    field: 'TRANSACTION_ID',
    message: 'line 4, column TRANSACTION_ID: "7" already appeared',
  },
  {
    name: 'a row earlier than the one before it',
    code: 'HISTORY_OUT_OF_ORDER',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T2, '1.00', '0')}\n${row('2', T1, '1.00', '1')}\n`,
    line: 3,
    field: 'TX_DATETIME',
    message: 'is earlier than line 2',
  },
  {
    name: 'a file with a header and no rows',
    code: 'HISTORY_EMPTY',
    file: 'x.csv',
    content: `${HEADER}\n\n`,
    line: undefined,
    field: undefined,
    message: 'no rows',
  },
  {
    name: 'an empty file',
    code: 'HISTORY_EMPTY',
    file: 'x.csv',
    content: '',
    line: undefined,
    field: undefined,
    message: 'needs a header row',
  },
  {
    name: 'a JSON Lines line that is not JSON',
    code: 'HISTORY_BAD_JSON',
    file: 'x.jsonl',
    content:
      '{"id":"1","ts":"2024-01-01T00:00:00Z","from":"a","to":"b","amount":"1","ccy":"EUR","fraud":0}\n{"id": "2",\n',
    mapping: JSONL_MAPPING,
    line: 2,
    field: undefined,
    message: 'line 2: not valid JSON',
  },
  {
    name: 'a JSON Lines line that is not an object',
    code: 'HISTORY_BAD_JSON',
    file: 'x.jsonl',
    content: '[1, 2]\n',
    mapping: JSONL_MAPPING,
    line: 1,
    field: undefined,
    message: 'is not a JSON object',
  },
  {
    name: 'a CSV row with a field too many',
    code: 'HISTORY_WRONG_FIELD_COUNT',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0')}\n${row('2', T2, '1.00', '1')},extra\n`,
    line: 3,
    field: undefined,
    message: 'line 3: 7 fields where the header has 6',
  },
  {
    name: 'a quote inside an unquoted field',
    code: 'HISTORY_BAD_CSV',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0', 'ab"c"')}\n`,
    line: 2,
    field: 'CUSTOMER_ID',
    message: 'line 2, column CUSTOMER_ID: a quote inside a field',
  },
  {
    name: 'text after a closing quote',
    code: 'HISTORY_BAD_CSV',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0', '"ab"c')}\n`,
    line: 2,
    field: 'CUSTOMER_ID',
    message: 'a closing quote must be followed by a comma',
  },
  {
    name: 'a quoted field never closed',
    code: 'HISTORY_BAD_CSV',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0')}\n${row('2', T2, '1.00', '1', '"open')}\n${row('3', T2, '1.00', '1')}\n`,
    line: 3,
    field: undefined,
    message: 'line 3: a quoted field is never closed',
  },
  {
    name: 'an empty payer',
    code: 'HISTORY_BAD_ID',
    file: 'x.csv',
    content: `${HEADER}\n${row('1', T1, '1.00', '0', '')}\n`,
    line: 2,
    field: 'CUSTOMER_ID',
    message: 'line 2, column CUSTOMER_ID: "" is not an id',
  },
  {
    name: 'a currency that is not an ISO 4217 code',
    code: 'HISTORY_BAD_CURRENCY',
    file: 'x.jsonl',
    content:
      '{"id":"1","ts":"2024-01-01T00:00:00Z","from":"a","to":"b","amount":"1","ccy":"euro","fraud":0}\n',
    mapping: JSONL_MAPPING,
    line: 1,
    field: 'ccy',
    message: 'line 1, field ccy: "euro" is not an ISO 4217 currency code',
  },
  {
    name: 'a mapped column listed twice in the header',
    code: 'HISTORY_AMBIGUOUS_COLUMN',
    file: 'x.csv',
    content: `${HEADER},TX_AMOUNT\n${row('1', T1, '1.00', '0')},2.00\n`,
    line: 1,
    field: 'TX_AMOUNT',
    message: 'more than once',
  },
  {
    name: 'a mapping with an empty column name',
    code: 'HISTORY_BAD_MAPPING',
    file: 'x.csv',
    content: `${HEADER}\n`,
    mapping: { ...HANDBOOK_MAPPING, amount: '' },
    line: undefined,
    field: 'amount',
    message: 'mapping.amount',
  },
  {
    name: 'a file name that names no format',
    code: 'HISTORY_UNKNOWN_FORMAT',
    file: 'x.txt',
    content: `${HEADER}\n`,
    line: undefined,
    field: undefined,
    message: 'pass format',
  },
];

describe('refusals', () => {
  it.each(REFUSALS)('refuses $name with $code', async (refusal) => {
    const path = await write(refusal.file, refusal.content);
    const error = await importError(() => loadLabelledHistory(path, refusal.mapping ?? HANDBOOK_MAPPING));
    expect(error.code).toBe(refusal.code);
    expect(error.line).toBe(refusal.line);
    expect(error.field).toBe(refusal.field);
    if (refusal.exact) expect(error.message).toBe(refusal.message);
    else expect(error.message).toContain(refusal.message);
    // The streaming reader refuses the same files in the same way (a single class excepted).
    const streamed = await importError(() =>
      collect(readLabelledHistory(path, refusal.mapping ?? HANDBOOK_MAPPING)),
    );
    expect(streamed.message).toBe(error.message);
  });

  it('refuses a truncated gzip file with HISTORY_BAD_GZIP', async () => {
    const whole = gzipSync(await readFile(GOOD_CSV));
    const path = await write('cut.csv.gz', whole.subarray(0, whole.length - 12));
    const error = await importError(() => loadLabelledHistory(path, HANDBOOK_MAPPING));
    expect(error.code).toBe('HISTORY_BAD_GZIP');
    expect(error.line).toBeUndefined();
  });

  it('refuses a file in which every row is fraud with HISTORY_SINGLE_CLASS', async () => {
    const path = await write(
      'all-fraud.csv',
      `${HEADER}\n${row('1', T1, '1.00', '1')}\n${row('2', T2, '1.00', 'true')}\n`,
    );
    const error = await importError(() => loadLabelledHistory(path, HANDBOOK_MAPPING));
    expect(error.code).toBe('HISTORY_SINGLE_CLASS');
    expect(error.message).toContain('labelled 1 (fraud)');
  });
});

const referenceAbsent = !existsSync(REFERENCE);
describe('the reference data set', () => {
  it.skipIf(referenceAbsent)(
    `loads the first 20,000 rows of the handbook file${referenceAbsent ? ` (SKIPPED: ${REFERENCE} is absent)` : ''}`,
    async () => {
      const { rows, stats } = await loadLabelledHistory(REFERENCE, HANDBOOK_MAPPING, { limit: 20_000 });
      // Counts from an independent reading of the same rows (zcat | head | awk and Python's decimal).
      expect(stats).toEqual({
        rows: 20_000,
        positives: 18,
        firstAtMs: Date.UTC(2018, 3, 1, 0, 0, 31),
        lastAtMs: Date.UTC(2018, 3, 3, 5, 2, 18),
        payers: 4349,
        payees: 8526,
      });
      expect(rows[0]).toEqual({
        id: '0',
        atMs: Date.UTC(2018, 3, 1, 0, 0, 31),
        payerId: '596',
        payeeId: '3156',
        amountMinor: 5716n,
        currency: 'EUR',
        label: 0,
      });
      expect(rows.at(-1)?.id).toBe('19999');
      expect(rows.reduce((sum, r) => sum + r.amountMinor, 0n)).toBe(106_054_144n);
      // Line 11,921 holds the first float-noise amount, 85.64999999999999.
      expect(rows.find((r) => r.id === '11919')?.amountMinor).toBe(8565n);
    },
  );
});
