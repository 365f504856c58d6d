/**
 * Reading list files: a size limit, a SHA-256 of the bytes as published (recorded with
 * each list version, so a version can be traced to the exact download), strict UTF-8, and
 * the leftovers of the DOS era that OFAC's legacy files still carry (a trailing Ctrl-Z).
 * Files are read whole: the published lists are a few megabytes, and the parsers are
 * linear in the text.
 */

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ScreeningListError } from './errors.ts';

/** Far above any published list (OFAC's full SDN files are under 5 MB, the UN list about 2 MB). */
export const LIST_FILE_BYTES_MAX = 128 * 1024 * 1024;

/** One source file of a list version, as recorded with the version. */
export interface SourceFile {
  /** Base name, e.g. `sdn.csv`. */
  name: string;
  /** Hex SHA-256 of the bytes read. */
  sha256: string;
  bytes: number;
}

/** A decoded source file. */
export interface SourceText {
  file: SourceFile;
  text: string;
}

export async function readSource(path: string, maxBytes = LIST_FILE_BYTES_MAX): Promise<SourceText> {
  const name = basename(path);
  let bytes: Buffer;
  try {
    const size = (await stat(path)).size;
    if (size > maxBytes) {
      throw new ScreeningListError(
        'SCREENING_LIST_TOO_LARGE',
        `the file has ${size} bytes, more than the limit of ${maxBytes}`,
        { file: name },
      );
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof ScreeningListError) throw error;
    const reason = (error as { code?: unknown } | null)?.code;
    throw new ScreeningListError(
      'SCREENING_LIST_UNREADABLE',
      `cannot read ${path}${typeof reason === 'string' ? ` (${reason})` : ''}`,
      { file: name },
      { cause: error },
    );
  }
  return decodeSource(name, bytes);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const LENIENT_UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Decodes bytes already in memory (also what tests use for malformed input). */
export function decodeSource(name: string, bytes: Uint8Array): SourceText {
  const file: SourceFile = {
    name,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.byteLength,
  };
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    // Only to say where: the first replacement character of a lenient decode is the first bad byte.
    const lenient = LENIENT_UTF8.decode(bytes);
    const at = lenient.indexOf('\uFFFD');
    throw new ScreeningListError(
      'SCREENING_LIST_BAD_ENCODING',
      'the file is not valid UTF-8 (re-save it as UTF-8)',
      { file: name, ...(at >= 0 ? { line: lineAt(lenient, at) } : {}) },
    );
  }
  return { file, text: stripDosEof(text) };
}

/** A Ctrl-Z (0x1A) after the last line is the DOS end-of-file mark OFAC still appends. */
function stripDosEof(text: string): string {
  let end = text.length;
  while (end > 0 && /\s/.test(text.charAt(end - 1))) end--;
  return end > 0 && text.charCodeAt(end - 1) === 0x1a ? text.slice(0, end - 1) : text;
}

/** For text built in memory: hashed as its UTF-8 bytes, exactly as if read from a file. */
export function sourceFromText(name: string, text: string): SourceText {
  return decodeSource(name, Buffer.from(text, 'utf8'));
}

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  let at = text.indexOf('\n');
  while (at !== -1 && at < offset) {
    line++;
    at = text.indexOf('\n', at + 1);
  }
  return line;
}
