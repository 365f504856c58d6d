/**
 * Errors of the list loaders and of list storage. A bad file is an expected failure, so it
 * is reported with a stable code and the place it was found (file, 1-based line, field),
 * never as a crash with a stack: the operator must be able to fix the file from the message.
 */

export type ScreeningListErrorCode =
  /** The file does not exist or cannot be read. */
  | 'SCREENING_LIST_UNREADABLE'
  /** The file, or the number of entries, is over the loader's limit. */
  | 'SCREENING_LIST_TOO_LARGE'
  /** The file is not valid UTF-8. */
  | 'SCREENING_LIST_BAD_ENCODING'
  /** The format could not be told from the file name. */
  | 'SCREENING_LIST_UNKNOWN_FORMAT'
  /** No header, or no entries (refused so that a truncated download cannot empty a list). */
  | 'SCREENING_LIST_EMPTY'
  /** Broken CSV quoting. */
  | 'SCREENING_LIST_BAD_CSV'
  | 'SCREENING_LIST_WRONG_FIELD_COUNT'
  /** A required column is absent from a CSV header. */
  | 'SCREENING_LIST_MISSING_COLUMN'
  | 'SCREENING_LIST_BAD_JSON'
  /** Not well-formed XML, or not the expected document. */
  | 'SCREENING_LIST_BAD_XML'
  /** An empty or malformed source id. */
  | 'SCREENING_LIST_BAD_ID'
  | 'SCREENING_LIST_DUPLICATE_ID'
  /** An entry without a primary name. */
  | 'SCREENING_LIST_MISSING_NAME'
  /** A value of the wrong type or shape (an entity type, a date, a JSON value). */
  | 'SCREENING_LIST_BAD_VALUE'
  /** A list name that is not a lower-case identifier. */
  | 'SCREENING_LIST_BAD_NAME'
  /** An entry whose `list` is not the list being loaded. */
  | 'SCREENING_LIST_WRONG_LIST'
  /** The list exists with another kind or source format. */
  | 'SCREENING_LIST_KIND_MISMATCH'
  | 'SCREENING_LIST_FORMAT_MISMATCH'
  /** The update would remove more of the list than allowed without confirmation. */
  | 'SCREENING_LIST_SHRINK';

export interface ErrorPlace {
  /** The file's base name. */
  file?: string;
  /** 1-based physical line. */
  line?: number;
  /** The column, XML element or JSON key. */
  field?: string;
}

export class ScreeningListError extends Error {
  readonly code: ScreeningListErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(
    code: ScreeningListErrorCode,
    detail: string,
    place: ErrorPlace = {},
    options?: { cause?: unknown },
  ) {
    super(`${describePlace(place)}${detail}`, options);
    this.name = 'ScreeningListError';
    this.code = code;
    this.file = place.file;
    this.line = place.line;
    this.field = place.field;
  }
}

/** `sdn.csv line 12, field SDN_Name: ` — whichever parts are known. */
function describePlace(place: ErrorPlace): string {
  const parts: string[] = [];
  if (place.file !== undefined) parts.push(place.file);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.field !== undefined) parts.push(`field ${place.field}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/** Shows a value in a message: quoted, and cut short so a runaway field cannot flood a log. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
