/**
 * Imports a labelled transaction history — an operator's own export or a public data set —
 * for `bulwark model train/evaluate`. The file is CSV (RFC 4180, header row required) or
 * JSON Lines, optionally gzip-compressed; a `ColumnMapping` says which column holds which
 * of the seven things a model may know about a transaction. Nothing else in the file is
 * carried into a `LabelledTx`, so columns a model must never read (such as the handbook's
 * TX_FRAUD_SCENARIO) cannot leak into training by accident.
 *
 * Times are epoch milliseconds (`atMs`, `labelAtMs`) rather than `Date` objects: a history
 * holds hundreds of thousands of rows, plain numbers cost no allocation and compare and
 * sort directly. Amounts are integers of minor units (`bigint`), converted from the file's
 * decimal text without ever passing through a float.
 *
 * `readLabelledHistory` streams: it validates and yields rows as it reads, so it stops at
 * the first bad row with a `HistoryImportError` *after* having yielded the rows before it.
 * A caller must therefore treat any error as "nothing imported" and discard what it saw.
 * `loadLabelledHistory` collects the whole file and only returns when every check,
 * including the whole-file ones (empty file, a single class), has passed.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { AMOUNT_MINOR_MAX } from '../../platform/money.ts';

/** One imported transaction with its label; see the module comment for why times are numbers. */
export interface LabelledTx {
  readonly id: string;
  /** When the transaction happened, in epoch milliseconds (UTC). */
  readonly atMs: number;
  readonly payerId: string;
  readonly payeeId: string;
  /** Amount in minor units of `currency` (cents for EUR, yen for JPY). */
  readonly amountMinor: bigint;
  /** ISO 4217 code. */
  readonly currency: string;
  /** 1 = fraud. */
  readonly label: 0 | 1;
  /** When the label became known, in epoch milliseconds, if the file says so for this row. */
  readonly labelAtMs?: number;
}

/**
 * Where each field of a `LabelledTx` comes from. Names are CSV header names or the
 * top-level keys of a JSON Lines object.
 */
export interface ColumnMapping {
  readonly id: string;
  readonly at: string;
  readonly payer: string;
  readonly payee: string;
  readonly amount: string;
  readonly label: string;
  /**
   * A column holding an ISO 4217 code per row, or one currency for the whole file.
   * Defaults to `{ constant: 'EUR' }`; it decides the number of minor digits, so a file in
   * JPY or KWD must say so or its amounts are read with two decimals.
   */
  readonly currency?: string | { readonly constant: string };
  /** A column with the time the label became known; an empty cell means "not known". */
  readonly labelAt?: string;
  /**
   * How `at` and `labelAt` are written. `datetime` (the default) accepts
   * `YYYY-MM-DD HH:MM:SS` and ISO 8601 (`T` separator, optional fraction, `Z` or an offset);
   * `epoch-s` and `epoch-ms` accept non-negative integers (seconds may carry up to three
   * decimals).
   */
  readonly atFormat?: 'datetime' | 'epoch-s' | 'epoch-ms';
  /**
   * The zone of date-times written without `Z` or an offset. Only UTC is supported: a
   * local zone would make some wall-clock times ambiguous or non-existent at DST changes,
   * and transaction exports are almost always UTC. A value with an explicit offset is
   * converted exactly whatever this says.
   */
  readonly timeZone?: 'UTC';
  /** `major` (the default): `57.16` is 5716 minor units for EUR. `minor`: the column already holds integers of minor units. */
  readonly amountUnit?: 'major' | 'minor';
  /**
   * What to do with a major amount that has more decimals than its currency. `refuse` (the
   * default) refuses it, unless the extra digits are all zeros (`57.160` is exactly
   * 57.16). `round` also accepts binary floating-point noise — extra digits that begin
   * with six zeros or six nines, as in `85.64999999999999` — and rounds it to the nearest
   * minor unit; any other excess is still refused, so a genuine third decimal is never
   * silently rounded away.
   */
  readonly amountFloatNoise?: 'refuse' | 'round';
}

/**
 * The reference data set, `handbook_2018-04_06.csv.gz` (see the data README). The handbook
 * names no currency; EUR is assumed (its authors and the simulated cards are European).
 * Its TX_AMOUNT column was written from floats, and 585 of its rows — all of them frauds of
 * scenario 3, whose amounts the simulator multiplied — carry float noise such as
 * `85.64999999999999`, hence `amountFloatNoise: 'round'`. Rounding also removes what would
 * otherwise be a perfect leak: those long decimals appear on fraud rows only. The file has
 * no label-time column; the handbook's 7-day label delay is applied by the evaluation.
 */
export const HANDBOOK_MAPPING: ColumnMapping = Object.freeze({
  id: 'TRANSACTION_ID',
  at: 'TX_DATETIME',
  payer: 'CUSTOMER_ID',
  payee: 'TERMINAL_ID',
  amount: 'TX_AMOUNT',
  label: 'TX_FRAUD',
  currency: Object.freeze({ constant: 'EUR' }),
  atFormat: 'datetime',
  timeZone: 'UTC',
  amountUnit: 'major',
  amountFloatNoise: 'round',
});

export interface ReadHistoryOptions {
  /** Defaults from the extension once a trailing `.gz` is removed: `.csv`, `.jsonl` or `.ndjson`. */
  format?: 'csv' | 'jsonl';
  /**
   * Called as the file is read, with bytes of the file on disk (compressed bytes for a
   * `.gz`), so a progress bar reaches 100 % exactly when the file has been read.
   */
  onProgress?(bytesRead: number, bytesTotal: number): void;
  /** Stops the import; the reader rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Stops after this many rows (a positive integer); later lines are not read or checked. */
  limit?: number;
  /**
   * Accepts rows out of time order: the reader yields them in file order, and
   * `loadLabelledHistory` sorts them by time, stably (rows with equal times keep file order).
   */
  allowUnordered?: boolean;
}

export interface HistoryStats {
  rows: number;
  /** Rows labelled 1. */
  positives: number;
  firstAtMs: number;
  lastAtMs: number;
  /** Distinct payers. */
  payers: number;
  /** Distinct payees. */
  payees: number;
}

export interface LoadedHistory {
  /** In time order. */
  rows: LabelledTx[];
  stats: HistoryStats;
}

export type HistoryImportErrorCode =
  /** The format could not be told from the file name; pass `format`. */
  | 'HISTORY_UNKNOWN_FORMAT'
  /** The mapping itself is invalid (an empty column name, an unknown option value). */
  | 'HISTORY_BAD_MAPPING'
  /** A `.gz` file that does not decompress (corrupt or truncated). */
  | 'HISTORY_BAD_GZIP'
  /** No header, or no rows. */
  | 'HISTORY_EMPTY'
  /** Mapped columns absent from the CSV header or from a JSON Lines object. */
  | 'HISTORY_MISSING_COLUMN'
  /** A mapped column name appears more than once in the CSV header. */
  | 'HISTORY_AMBIGUOUS_COLUMN'
  /** Broken CSV quoting. */
  | 'HISTORY_BAD_CSV'
  | 'HISTORY_WRONG_FIELD_COUNT'
  | 'HISTORY_BAD_JSON'
  /** An empty or non-scalar id, payer or payee. */
  | 'HISTORY_BAD_ID'
  | 'HISTORY_BAD_AMOUNT'
  | 'HISTORY_BAD_CURRENCY'
  | 'HISTORY_BAD_DATE'
  | 'HISTORY_BAD_LABEL'
  | 'HISTORY_DUPLICATE_ID'
  | 'HISTORY_OUT_OF_ORDER'
  /** Every row has the same label, so nothing can be learnt or measured from it. */
  | 'HISTORY_SINGLE_CLASS';

/** A refused import. `line` is the 1-based physical line of the file, `field` the mapped column name. */
export class HistoryImportError extends Error {
  readonly code: HistoryImportErrorCode;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(
    code: HistoryImportErrorCode,
    message: string,
    where: { line?: number; field?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HistoryImportError';
    this.code = code;
    this.line = where.line;
    this.field = where.field;
  }
}

/**
 * Minor-unit digits of the ISO 4217 currencies that do not use two; every other code is
 * read with two. Kept local rather than taken from the platform's currency list because an
 * imported data set may be in a currency the wallet does not offer.
 */
const MINOR_DIGITS_NOT_TWO: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Number of minor-unit digits of an ISO 4217 currency (2 unless listed otherwise). */
export function currencyMinorDigits(currency: string): number {
  return MINOR_DIGITS_NOT_TWO[currency] ?? 2;
}

/**
 * Streams the rows of a history file, checking each as it goes (see the module comment:
 * an error may come after some rows were yielded, and means nothing was imported). Rows
 * must be in time order unless `allowUnordered` is set. Memory stays small except for the
 * set of ids seen, which the duplicate check needs (see `RowChecker`). Like any async
 * generator it does nothing until iterated: an unknown format, a bad mapping or a missing
 * file is reported by the first `next()`.
 */
export async function* readLabelledHistory(
  path: string,
  mapping: ColumnMapping,
  options: ReadHistoryOptions = {},
): AsyncGenerator<LabelledTx, void, undefined> {
  const { signal } = options;
  for await (const batch of readBatches(path, mapping, options, false)) {
    for (const row of batch) {
      yield row;
      // A consumer may abort while handling a row; stop before handing it the next one.
      signal?.throwIfAborted();
    }
  }
}

/**
 * Reads a whole history file and checks it as a whole: besides every row check of
 * `readLabelledHistory`, an empty file and a file with a single class are refused. Rows
 * come back in time order (sorted stably when `allowUnordered` is set). Equal payer and
 * payee ids share one string, which keeps a large history's memory down.
 */
export async function loadLabelledHistory(
  path: string,
  mapping: ColumnMapping,
  options: ReadHistoryOptions = {},
): Promise<LoadedHistory> {
  const rows: LabelledTx[] = [];
  const interned = new InternTables();
  for await (const batch of readBatches(path, mapping, options, interned)) {
    for (const row of batch) rows.push(row);
  }
  if (options.allowUnordered) rows.sort((a, b) => a.atMs - b.atMs);

  let positives = 0;
  for (const row of rows) positives += row.label;
  const first = rows[0];
  const last = rows[rows.length - 1];
  // The reader refuses a file without rows, so this only guards the types.
  if (first === undefined || last === undefined) throw emptyError();
  if (positives === 0 || positives === rows.length) {
    const which = positives === 0 ? '0 (legitimate)' : '1 (fraud)';
    throw new HistoryImportError(
      'HISTORY_SINGLE_CLASS',
      `column ${mapping.label}: every one of the ${rows.length} rows is labelled ${which}; a model needs both classes`,
      { field: mapping.label },
    );
  }
  return {
    rows,
    stats: {
      rows: rows.length,
      positives,
      firstAtMs: first.atMs,
      lastAtMs: last.atMs,
      payers: interned.payers.size,
      payees: interned.payees.size,
    },
  };
}

/** Maps each distinct payer and payee id to one shared string; their sizes are the distinct counts. */
class InternTables {
  readonly payers = new Map<string, string>();
  readonly payees = new Map<string, string>();
}

/** CSV fields are strings; JSON values may be anything, and each converter says what it accepts. */
type RawValue = unknown;

interface Plan {
  readonly mapping: ColumnMapping;
  /** `column` for CSV errors, `field` for JSON Lines ones, so messages use the file's own vocabulary. */
  readonly noun: 'column' | 'field';
  readonly constantCurrency: string | undefined;
  readonly currencyColumn: string | undefined;
  readonly atFormat: 'datetime' | 'epoch-s' | 'epoch-ms';
  readonly minorUnits: boolean;
  readonly roundFloatNoise: boolean;
  readonly allowUnordered: boolean;
  readonly limit: number;
  readonly intern: InternTables | false;
}

/**
 * Reads the file and yields the rows of each decoded chunk as one array, so that
 * `loadLabelledHistory` pays one await per chunk rather than one per row.
 */
async function* readBatches(
  path: string,
  mapping: ColumnMapping,
  options: ReadHistoryOptions,
  intern: InternTables | false,
): AsyncGenerator<LabelledTx[], void, undefined> {
  const format = options.format ?? formatFromPath(path);
  const plan = compile(mapping, format, options, intern);
  const { signal, onProgress } = options;
  signal?.throwIfAborted();

  const bytesTotal = (await stat(path)).size;
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  // `pipeline` destroys both streams when either fails or when the reader below stops
  // early; the callback only swallows the premature-close error that stopping causes.
  const source: Readable = /\.gz$/i.test(path)
    ? pipeline(file, createGunzip({ chunkSize: 1 << 16 }), () => {})
    : file;
  const decoder = new StringDecoder('utf8');
  const parser = format === 'csv' ? new CsvParser(plan) : new JsonlParser(plan);
  let reported = -1;
  try {
    try {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        const batch: LabelledTx[] = [];
        parser.push(decoder.write(chunk as Buffer), batch);
        if (onProgress && file.bytesRead !== reported) {
          reported = file.bytesRead;
          onProgress(reported, bytesTotal);
        }
        if (batch.length > 0) yield batch;
        if (parser.done) return;
      }
    } catch (error) {
      throw asGzipError(error) ?? error;
    }
    signal?.throwIfAborted();
    const batch: LabelledTx[] = [];
    parser.push(decoder.end(), batch);
    parser.end(batch);
    if (onProgress && file.bytesRead !== reported) onProgress(file.bytesRead, bytesTotal);
    if (batch.length > 0) yield batch;
  } finally {
    source.destroy();
    file.destroy();
  }
}

function asGzipError(error: unknown): HistoryImportError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new HistoryImportError(
    'HISTORY_BAD_GZIP',
    `the file does not decompress: ${reason}`,
    {},
    { cause: error },
  );
}

function formatFromPath(path: string): 'csv' | 'jsonl' {
  const name = path.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  throw new HistoryImportError(
    'HISTORY_UNKNOWN_FORMAT',
    `cannot tell the format of ${path} from its name (expected .csv, .jsonl or .ndjson, optionally .gz); pass format`,
  );
}

const REQUIRED_KEYS = ['id', 'at', 'payer', 'payee', 'amount', 'label'] as const;
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Checks the mapping at run time too, since the CLI reads it from a user's JSON file. */
function compile(
  mapping: ColumnMapping,
  format: 'csv' | 'jsonl',
  options: ReadHistoryOptions,
  intern: InternTables | false,
): Plan {
  const bad = (field: string, what: string) =>
    new HistoryImportError('HISTORY_BAD_MAPPING', `mapping.${field}: ${what}`, { field });
  for (const key of REQUIRED_KEYS) {
    const column: unknown = mapping[key];
    if (typeof column !== 'string' || column === '') throw bad(key, 'must be a non-empty column name');
  }
  if (mapping.labelAt !== undefined && (typeof mapping.labelAt !== 'string' || mapping.labelAt === '')) {
    throw bad('labelAt', 'must be a non-empty column name when given');
  }
  let constantCurrency: string | undefined;
  let currencyColumn: string | undefined;
  const currency: unknown = mapping.currency ?? { constant: 'EUR' };
  if (typeof currency === 'string' && currency !== '') currencyColumn = currency;
  else if (typeof currency === 'object' && currency !== null && 'constant' in currency) {
    const code = currency.constant;
    if (typeof code !== 'string' || !CURRENCY_CODE.test(code)) {
      throw bad('currency', 'constant must be an ISO 4217 code such as "EUR"');
    }
    constantCurrency = code;
  } else throw bad('currency', 'must be a column name or { constant: "EUR" }');
  const atFormat = mapping.atFormat ?? 'datetime';
  if (!['datetime', 'epoch-s', 'epoch-ms'].includes(atFormat)) {
    throw bad('atFormat', 'must be "datetime", "epoch-s" or "epoch-ms"');
  }
  if (mapping.timeZone !== undefined && mapping.timeZone !== 'UTC') {
    throw bad('timeZone', 'only "UTC" is supported');
  }
  const amountUnit = mapping.amountUnit ?? 'major';
  if (amountUnit !== 'major' && amountUnit !== 'minor') throw bad('amountUnit', 'must be "major" or "minor"');
  const floatNoise = mapping.amountFloatNoise ?? 'refuse';
  if (floatNoise !== 'refuse' && floatNoise !== 'round') {
    throw bad('amountFloatNoise', 'must be "refuse" or "round"');
  }
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(limit) && limit > 0)) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  return {
    mapping,
    noun: format === 'csv' ? 'column' : 'field',
    constantCurrency,
    currencyColumn,
    atFormat,
    minorUnits: amountUnit === 'minor',
    roundFloatNoise: floatNoise === 'round',
    allowUnordered: options.allowUnordered === true,
    limit,
    intern,
  };
}

/** Columns the mapping reads, in the order errors list missing ones. */
function mappedColumns(plan: Plan): string[] {
  const m = plan.mapping;
  const columns = [m.id, m.at, m.payer, m.payee, m.amount, m.label];
  if (plan.currencyColumn !== undefined) columns.push(plan.currencyColumn);
  if (m.labelAt !== undefined) columns.push(m.labelAt);
  return [...new Set(columns)];
}

function emptyError(detail = 'the file has no rows'): HistoryImportError {
  return new HistoryImportError('HISTORY_EMPTY', detail);
}

/** Shows a value in a message: quoted, and cut short so a runaway field cannot flood a log. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const EPOCH_S = /^(\d{1,11})(?:\.(\d{1,3}))?$/;
const EPOCH_MS = /^\d{1,15}$/;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const INTEGER = /^\d+$/;
/** The largest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8.64e15;

/**
 * The common zone-less `YYYY-MM-DD HH:MM:SS` (or with `T`) read digit by digit: the general
 * pattern costs a fifth of the import time on the reference file. Returns undefined for
 * anything it does not recognise, which then goes through the general pattern and its
 * checks (so an impossible date is still refused there).
 */
function parsePlainDateTime(text: string): number | undefined {
  const separator = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    (separator !== 32 && separator !== 84) ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number in `count` characters from `start`, or -1 if any is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Turns the raw cells of one record into a `LabelledTx`, applying every per-row check.
 * Shared by both formats; they differ only in how a record's cells are found.
 */
class RowChecker {
  /**
   * Ids seen so far, for the duplicate check. This is the one part of the streaming
   * reader whose memory grows with the file: about 50 bytes per id, the id string included
   * (41 MB measured for the 873k-row reference file). Files of tens of millions of rows
   * should be split by time before import.
   */
  private readonly seenIds = new Set<string>();
  private readonly currencies = new Map<string, string>();
  private previousAtMs = Number.NEGATIVE_INFINITY;
  private previousLine = 0;
  rows = 0;

  constructor(private readonly plan: Plan) {}

  private fail(
    code: HistoryImportErrorCode,
    line: number,
    field: string,
    detail: string,
  ): HistoryImportError {
    return new HistoryImportError(code, `line ${line}, ${this.plan.noun} ${field}: ${detail}`, {
      line,
      field,
    });
  }

  build(
    line: number,
    rawId: RawValue,
    rawAt: RawValue,
    rawPayer: RawValue,
    rawPayee: RawValue,
    rawAmount: RawValue,
    rawLabel: RawValue,
    rawCurrency: RawValue,
    rawLabelAt: RawValue,
  ): LabelledTx {
    const { plan } = this;
    const m = plan.mapping;
    const id = this.identifier(rawId, line, m.id);
    const atMs = this.time(rawAt, line, m.at);
    let payerId = this.identifier(rawPayer, line, m.payer);
    let payeeId = this.identifier(rawPayee, line, m.payee);
    const currency = plan.constantCurrency ?? this.currency(rawCurrency, line, plan.currencyColumn ?? '');
    const amountMinor = this.amount(rawAmount, line, m.amount, currency);
    const label = this.label(rawLabel, line, m.label);
    let labelAtMs: number | undefined;
    if (m.labelAt !== undefined && rawLabelAt !== undefined && rawLabelAt !== null && rawLabelAt !== '') {
      labelAtMs = this.time(rawLabelAt, line, m.labelAt);
      if (labelAtMs < atMs) {
        throw this.fail(
          'HISTORY_BAD_DATE',
          line,
          m.labelAt,
          `${show(rawLabelAt)} is before the transaction's time (${new Date(atMs).toISOString()})`,
        );
      }
    }

    if (this.seenIds.has(id)) {
      throw this.fail('HISTORY_DUPLICATE_ID', line, m.id, `${show(id)} already appeared on an earlier line`);
    }
    this.seenIds.add(id);
    if (atMs < this.previousAtMs && !plan.allowUnordered) {
      throw this.fail(
        'HISTORY_OUT_OF_ORDER',
        line,
        m.at,
        `${show(rawAt)} (${new Date(atMs).toISOString()}) is earlier than line ${this.previousLine} ` +
          `(${new Date(this.previousAtMs).toISOString()}); rows must be in time order, or pass allowUnordered`,
      );
    }
    this.previousAtMs = atMs;
    this.previousLine = line;

    if (plan.intern) {
      payerId = internString(plan.intern.payers, payerId);
      payeeId = internString(plan.intern.payees, payeeId);
    }
    this.rows++;
    const row: { -readonly [K in keyof LabelledTx]: LabelledTx[K] } = {
      id,
      atMs,
      payerId,
      payeeId,
      amountMinor,
      currency,
      label,
    };
    if (labelAtMs !== undefined) row.labelAtMs = labelAtMs;
    return row;
  }

  private identifier(raw: RawValue, line: number, field: string): string {
    if (typeof raw === 'string') {
      if (raw.trim() !== '') return raw;
    } else if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
    throw this.fail(
      'HISTORY_BAD_ID',
      line,
      field,
      `${show(raw)} is not an id (an id must be a non-empty string or number)`,
    );
  }

  private currency(raw: RawValue, line: number, field: string): string {
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!CURRENCY_CODE.test(text)) {
      throw this.fail('HISTORY_BAD_CURRENCY', line, field, `${show(raw)} is not an ISO 4217 currency code`);
    }
    let shared = this.currencies.get(text);
    if (shared === undefined) {
      shared = text;
      this.currencies.set(text, text);
    }
    return shared;
  }

  private label(raw: RawValue, line: number, field: string): 0 | 1 {
    if (raw === 0 || raw === false) return 0;
    if (raw === 1 || raw === true) return 1;
    if (typeof raw === 'string') {
      const text = raw.trim().toLowerCase();
      if (text === '0' || text === 'false') return 0;
      if (text === '1' || text === 'true') return 1;
    }
    throw this.fail(
      'HISTORY_BAD_LABEL',
      line,
      field,
      `${show(raw)} is not a label (expected 0, 1, true or false)`,
    );
  }

  /** JSON numbers are read through their shortest round-trip text, the digits the file most likely held. */
  private time(raw: RawValue, line: number, field: string): number {
    const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : undefined;
    const ms = text === undefined ? undefined : this.parseTime(text);
    if (ms === undefined) {
      const hint =
        this.plan.atFormat === 'datetime'
          ? INTEGER.test(text ?? '')
            ? ' (for epoch times set atFormat to "epoch-s" or "epoch-ms")'
            : ' (expected YYYY-MM-DD HH:MM:SS or ISO 8601, UTC when no zone is given)'
          : ` (expected ${this.plan.atFormat === 'epoch-s' ? 'epoch seconds' : 'epoch milliseconds'})`;
      throw this.fail('HISTORY_BAD_DATE', line, field, `${show(raw)} is not a valid time${hint}`);
    }
    return ms;
  }

  private parseTime(text: string): number | undefined {
    const format = this.plan.atFormat;
    if (format === 'epoch-ms')
      return EPOCH_MS.test(text) && Number(text) <= MAX_TIME_MS ? Number(text) : undefined;
    if (format === 'epoch-s') {
      const match = EPOCH_S.exec(text);
      if (!match) return undefined;
      const ms = Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
      return ms <= MAX_TIME_MS ? ms : undefined;
    }
    if (text.length === 19) {
      const ms = parsePlainDateTime(text);
      if (ms !== undefined) return ms;
    }
    const match = DATE_TIME.exec(text);
    if (!match) return undefined;
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    const hour = Number(match[4]);
    const minute = Number(match[5]);
    const second = Number(match[6] ?? 0);
    // Sub-millisecond digits are dropped: times are kept in milliseconds.
    const millisecond = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
    // Years before 1970 are refused: no transaction history reaches back that far, and
    // Date.UTC would read years below 100 as 19xx.
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
    // Leap seconds (:60) and 24:00 are refused; no payment system records them.
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    let offsetMinutes = 0;
    if (match[9] !== undefined) {
      const offsetHours = Number(match[10]);
      const offsetMins = Number(match[11] ?? 0);
      if (offsetHours > 23 || offsetMins > 59) return undefined;
      offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
    }
    return Date.UTC(year, month - 1, day, hour, minute, second, millisecond) - offsetMinutes * 60_000;
  }

  private amount(raw: RawValue, line: number, field: string, currency: string): bigint {
    const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : undefined;
    if (text === undefined) throw this.badAmount(raw, line, field, 'is not an amount');
    let minor: bigint;
    if (this.plan.minorUnits) {
      if (!INTEGER.test(text)) {
        const detail = text.startsWith('-')
          ? 'is negative; amounts must be zero or more'
          : 'is not an integer of minor units';
        throw this.badAmount(raw, line, field, detail);
      }
      minor = BigInt(text);
    } else {
      const match = DECIMAL.exec(text);
      if (!match) {
        const negative = text.startsWith('-') && DECIMAL.test(text.slice(1));
        throw this.badAmount(
          raw,
          line,
          field,
          negative ? 'is negative; amounts must be zero or more' : 'is not an amount',
        );
      }
      const digits = currencyMinorDigits(currency);
      let fraction = match[2] ?? '';
      let roundUp = false;
      if (fraction.length > digits) {
        const excess = fraction.slice(digits);
        const exact = /^0+$/.test(excess);
        const noise = excess.startsWith('000000') || excess.startsWith('999999');
        if (!exact && !(noise && this.plan.roundFloatNoise)) {
          throw this.badAmount(
            raw,
            line,
            field,
            `has more decimals than ${currency} allows (${digits})` +
              (noise ? '; it looks like float noise, which amountFloatNoise: "round" accepts' : ''),
          );
        }
        roundUp = !exact && excess.startsWith('9');
        fraction = fraction.slice(0, digits);
      }
      minor = BigInt((match[1] ?? '') + fraction.padEnd(digits, '0')) + (roundUp ? 1n : 0n);
    }
    if (minor > AMOUNT_MINOR_MAX) {
      throw this.badAmount(raw, line, field, `exceeds the largest amount (${AMOUNT_MINOR_MAX} minor units)`);
    }
    return minor;
  }

  private badAmount(raw: RawValue, line: number, field: string, detail: string): HistoryImportError {
    return this.fail('HISTORY_BAD_AMOUNT', line, field, `${show(raw)} ${detail}`);
  }
}

function internString(table: Map<string, string>, value: string): string {
  const shared = table.get(value);
  if (shared !== undefined) return shared;
  table.set(value, value);
  return value;
}

/**
 * Splits decoded text into physical lines (a final line without a newline included) and
 * hands each to `line` with its 1-based number. A byte-order mark at the start is dropped.
 */
abstract class LineParser {
  protected readonly checker: RowChecker;
  private carry = '';
  private lineNumber = 1;
  private started = false;
  /** Set once `limit` rows were produced; the rest of the file is not read. */
  done = false;

  constructor(protected readonly plan: Plan) {
    this.checker = new RowChecker(plan);
  }

  push(text: string, out: LabelledTx[]): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let buffer = this.carry === '' ? text : this.carry + text;
    let start = 0;
    while (!this.done) {
      const newline = buffer.indexOf('\n', start);
      if (newline === -1) break;
      this.line(buffer.slice(start, newline), this.lineNumber++, out);
      start = newline + 1;
    }
    if (this.done) buffer = '';
    this.carry = buffer.slice(start);
  }

  end(out: LabelledTx[]): void {
    if (this.done) return;
    if (this.carry !== '') this.line(this.carry, this.lineNumber, out);
    this.carry = '';
    this.finish();
    if (this.checker.rows === 0) throw emptyError();
  }

  protected emit(row: LabelledTx, out: LabelledTx[]): void {
    out.push(row);
    if (this.checker.rows >= this.plan.limit) this.done = true;
  }

  /** `text` excludes the newline but may end in a carriage return. */
  protected abstract line(text: string, lineNumber: number, out: LabelledTx[]): void;
  protected abstract finish(): void;
}

/** Records longer than this while a quote is open are taken as an unterminated quote. */
const MAX_RECORD_CHARS = 1 << 20;

function countQuotes(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++;
  return count;
}

function stripCarriageReturn(text: string): string {
  return text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
}

/**
 * RFC 4180: fields separated by commas; a field in double quotes may hold commas, line
 * breaks and doubled quotes. A record continues onto the next physical line while it has
 * an odd number of quotes; its errors name the line it starts on. Fully blank lines are
 * skipped. Lines without quotes — every line of the reference file — take a fast path.
 */
class CsvParser extends LineParser {
  private header: string[] | undefined;
  private columns = new Int32Array(0);
  private pending: string | undefined;
  private pendingLine = 0;
  private pendingQuotes = 0;

  protected line(text: string, lineNumber: number, out: LabelledTx[]): void {
    if (this.pending !== undefined) {
      // A line break inside quotes is data; the carriage return of a CRLF is kept with it.
      const record = `${this.pending}\n${text}`;
      this.pendingQuotes += countQuotes(text);
      if (this.pendingQuotes % 2 === 1) {
        this.keepPending(record);
        return;
      }
      this.pending = undefined;
      this.record(this.split(stripCarriageReturn(record), this.pendingLine), this.pendingLine, out);
      return;
    }
    if (text.indexOf('"') === -1) {
      const content = stripCarriageReturn(text);
      if (content === '') return;
      this.record(content.split(','), lineNumber, out);
      return;
    }
    const quotes = countQuotes(text);
    if (quotes % 2 === 1) {
      this.pendingLine = lineNumber;
      this.pendingQuotes = quotes;
      this.keepPending(text);
      return;
    }
    this.record(this.split(stripCarriageReturn(text), lineNumber), lineNumber, out);
  }

  private keepPending(record: string): void {
    if (record.length > MAX_RECORD_CHARS) throw this.unterminated();
    this.pending = record;
  }

  private unterminated(): HistoryImportError {
    return new HistoryImportError(
      'HISTORY_BAD_CSV',
      `line ${this.pendingLine}: a quoted field is never closed`,
      { line: this.pendingLine },
    );
  }

  protected finish(): void {
    if (this.pending !== undefined) throw this.unterminated();
    if (this.header === undefined) throw emptyError('the file is empty: a CSV history needs a header row');
  }

  private split(record: string, lineNumber: number): string[] {
    const fields: string[] = [];
    const length = record.length;
    let i = 0;
    for (;;) {
      if (record.charCodeAt(i) === 34) {
        let value = '';
        let from = i + 1;
        for (;;) {
          const quote = record.indexOf('"', from);
          if (quote === -1) throw this.badCsv(lineNumber, fields.length, 'a quoted field is never closed');
          if (record.charCodeAt(quote + 1) === 34) {
            value += record.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += record.slice(from, quote);
          i = quote + 1;
          break;
        }
        fields.push(value);
        if (i === length) return fields;
        if (record.charCodeAt(i) !== 44) {
          throw this.badCsv(lineNumber, fields.length - 1, 'a closing quote must be followed by a comma');
        }
        i++;
      } else {
        const comma = record.indexOf(',', i);
        const end = comma === -1 ? length : comma;
        const value = record.slice(i, end);
        if (value.indexOf('"') !== -1) {
          throw this.badCsv(lineNumber, fields.length, 'a quote inside a field that does not start with one');
        }
        fields.push(value);
        if (comma === -1) return fields;
        i = comma + 1;
      }
    }
  }

  private badCsv(line: number, index: number, detail: string): HistoryImportError {
    const field = this.header?.[index];
    const where = field === undefined ? `line ${line}` : `line ${line}, column ${field}`;
    return new HistoryImportError('HISTORY_BAD_CSV', `${where}: ${detail}`, { line, field });
  }

  private record(fields: string[], lineNumber: number, out: LabelledTx[]): void {
    if (this.header === undefined) {
      this.readHeader(fields, lineNumber);
      return;
    }
    if (fields.length !== this.header.length) {
      throw new HistoryImportError(
        'HISTORY_WRONG_FIELD_COUNT',
        `line ${lineNumber}: ${fields.length} fields where the header has ${this.header.length}`,
        { line: lineNumber },
      );
    }
    const c = this.columns;
    this.emit(
      this.checker.build(
        lineNumber,
        cell(fields, c[0]),
        cell(fields, c[1]),
        cell(fields, c[2]),
        cell(fields, c[3]),
        cell(fields, c[4]),
        cell(fields, c[5]),
        cell(fields, c[6]),
        cell(fields, c[7]),
      ),
      out,
    );
  }

  /** Finds every mapped column before any row is read, so all missing ones are named at once. */
  private readHeader(fields: string[], lineNumber: number): void {
    const names = fields.map((name) => name.trim());
    const m = this.plan.mapping;
    const wanted = [m.id, m.at, m.payer, m.payee, m.amount, m.label, this.plan.currencyColumn, m.labelAt];
    const missing = mappedColumns(this.plan).filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new HistoryImportError(
        'HISTORY_MISSING_COLUMN',
        `line ${lineNumber}: the header lacks the mapped column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` +
          ` (it has ${names.join(', ')})`,
        { line: lineNumber, field: missing.join(', ') },
      );
    }
    for (const name of mappedColumns(this.plan)) {
      if (names.indexOf(name) !== names.lastIndexOf(name)) {
        throw new HistoryImportError(
          'HISTORY_AMBIGUOUS_COLUMN',
          `line ${lineNumber}, column ${name}: the header has this column more than once`,
          { line: lineNumber, field: name },
        );
      }
    }
    this.columns = Int32Array.from(wanted, (name) => (name === undefined ? -1 : names.indexOf(name)));
    this.header = names;
  }
}

/** The field at a column index, or undefined for an unmapped (-1) column. */
function cell(fields: string[], index: number | undefined): string | undefined {
  return index === undefined || index < 0 ? undefined : fields[index];
}

/** One JSON object per line; blank lines are skipped. Mapped names are top-level keys. */
class JsonlParser extends LineParser {
  protected line(text: string, lineNumber: number, out: LabelledTx[]): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HistoryImportError('HISTORY_BAD_JSON', `line ${lineNumber}: not valid JSON (${reason})`, {
        line: lineNumber,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new HistoryImportError(
        'HISTORY_BAD_JSON',
        `line ${lineNumber}: ${show(value)} is not a JSON object`,
        {
          line: lineNumber,
        },
      );
    }
    const record = value as Record<string, unknown>;
    const missing = mappedColumns(this.plan).filter(
      (name) => name !== this.plan.mapping.labelAt && !Object.hasOwn(record, name),
    );
    if (missing.length > 0) {
      throw new HistoryImportError(
        'HISTORY_MISSING_COLUMN',
        `line ${lineNumber}: the object lacks the mapped field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        { line: lineNumber, field: missing.join(', ') },
      );
    }
    const m = this.plan.mapping;
    const own = (name: string | undefined) =>
      name !== undefined && Object.hasOwn(record, name) ? record[name] : undefined;
    this.emit(
      this.checker.build(
        lineNumber,
        record[m.id],
        record[m.at],
        record[m.payer],
        record[m.payee],
        record[m.amount],
        record[m.label],
        own(this.plan.currencyColumn),
        own(m.labelAt),
      ),
      out,
    );
  }

  protected finish(): void {}
}
