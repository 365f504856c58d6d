/**
 * An RFC 4180 record reader over decoded text: comma-separated, fields optionally quoted,
 * `""` for a quote inside a quoted field, records ending in CRLF or LF, and line breaks
 * allowed inside quoted fields. Each record says the physical line it starts on, so every
 * later error can name it. One pass over the text, linear in its length.
 */

import { ScreeningListError } from './errors.ts';

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
}

/** A record with more fields than this is a runaway, not a list row. */
const FIELDS_MAX = 1000;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Yields the records of `text`; blank lines are skipped. `file` is only for messages. */
export function* csvRecords(text: string, file: string): Generator<CsvRecord, void, undefined> {
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        const fieldLine = line;
        let out = '';
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) {
            throw new ScreeningListError(
              'SCREENING_LIST_BAD_CSV',
              `field ${fields.length + 1} opens a quote that is never closed`,
              { file, line: fieldLine },
            );
          }
          line += countLineFeeds(text, from, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            out += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          out += text.slice(from, q);
          i = q + 1;
          break;
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== COMMA && next !== LF && next !== CR) {
          // A field that ran over several lines most likely lacks its closing quote where it opened.
          const detail =
            fieldLine === line
              ? `field ${fields.length + 1}: unexpected ${show(text[i])} after a closing quote (a quote inside a quoted field is written "")`
              : `field ${fields.length + 1} opens a quote that only closes on line ${line}, before ${show(text[i])}; is its closing quote missing?`;
          throw new ScreeningListError('SCREENING_LIST_BAD_CSV', detail, { file, line: fieldLine });
        }
        value = out;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new ScreeningListError(
              'SCREENING_LIST_BAD_CSV',
              `field ${fields.length + 1}: a quote inside an unquoted field (quote the whole field and write the quote as "")`,
              { file, line },
            );
          }
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (fields.length > FIELDS_MAX) {
        throw new ScreeningListError('SCREENING_LIST_BAD_CSV', `more than ${FIELDS_MAX} fields in a record`, {
          file,
          line: startLine,
        });
      }
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === CR) {
        i++;
        if (text.charCodeAt(i) === LF) i++;
        line++;
      } else if (c === LF) {
        i++;
        line++;
      }
      break;
    }
    if (fields.length === 1 && fields[0] === '') continue;
    yield { fields, line: startLine };
  }
}

function countLineFeeds(text: string, from: number, to: number): number {
  let count = 0;
  let at = text.indexOf('\n', from);
  while (at !== -1 && at < to) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}

function show(ch: string | undefined): string {
  return JSON.stringify(ch ?? '');
}
