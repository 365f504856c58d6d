import { createHash } from 'node:crypto';
import { AppError } from '../platform/errors.ts';
import { LIMITS } from './model.ts';

/** The file types a dispute may carry: screenshots, photos, statements and receipts, notes. */
export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  if (bytes.length < magic.length) return false;
  return magic.every((b, i) => bytes[i] === b);
}

/**
 * The type of a file from its first bytes, never from its name or the declared type:
 * a renamed executable is refused. Plain text is valid UTF-8 without control characters
 * other than tab, line feed, form feed and carriage return.
 */
export function detectType(bytes: Uint8Array): AttachmentType | undefined {
  if (startsWith(bytes, PNG)) return 'image/png';
  if (startsWith(bytes, JPEG)) return 'image/jpeg';
  if (startsWith(bytes, PDF)) return 'application/pdf';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? undefined : 'text/plain';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The decoded size of a base64 text, computed before decoding so an oversized file is never held twice. */
export function base64Size(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export interface CheckedAttachment {
  filename: string;
  contentType: AttachmentType;
  content: Buffer;
  sizeBytes: number;
  sha256: string;
}

/**
 * Decodes and checks an upload: base64, at most `LIMITS.attachmentBytesMax`, a permitted
 * type by its magic bytes (and the declared type, if any, must agree), a plain file name.
 */
export function checkAttachment(input: {
  filename: string;
  contentType?: string | undefined;
  contentBase64: string;
}): CheckedAttachment {
  const text = input.contentBase64;
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new AppError('VALIDATION_FAILED', 'contentBase64 is not valid base64.', { field: 'contentBase64' });
  }
  const size = base64Size(text);
  if (size === 0) throw new AppError('VALIDATION_FAILED', 'The file is empty.', { field: 'contentBase64' });
  if (size > LIMITS.attachmentBytesMax) {
    throw new AppError(
      'SUPPORT_ATTACHMENT_TOO_LARGE',
      `The file is ${size} bytes; at most ${LIMITS.attachmentBytesMax} bytes (5 MB) are accepted.`,
      { sizeBytes: size, maxBytes: LIMITS.attachmentBytesMax },
    );
  }
  const filename = input.filename.trim();
  if (filename.length === 0 || [...filename].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20)) {
    throw new AppError('VALIDATION_FAILED', 'filename must be a plain file name.', { field: 'filename' });
  }
  const content = Buffer.from(text, 'base64');
  const detected = detectType(content);
  if (!detected) {
    throw new AppError(
      'SUPPORT_ATTACHMENT_TYPE',
      'The file is not a PNG or JPEG image, a PDF document or plain text.',
      { allowed: ATTACHMENT_TYPES },
    );
  }
  if (input.contentType !== undefined && input.contentType !== detected) {
    throw new AppError(
      'SUPPORT_ATTACHMENT_TYPE',
      `The file is declared as ${input.contentType} but its content is ${detected}.`,
      { allowed: ATTACHMENT_TYPES, detected },
    );
  }
  return {
    filename,
    contentType: detected,
    content,
    sizeBytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}
