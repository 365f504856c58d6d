import { isCurrency } from '../platform/money.ts';

/** An event whose payload does not have the documented shape: a bug in its producer. */
export class InvalidPayload extends Error {
  constructor(field: string, expected: string) {
    super(`payload field "${field}" is not ${expected}`);
    this.name = 'InvalidPayload';
  }
}

const ID = /^[a-z]{2,5}_[0-9a-z]{26}$/;
const MINOR = /^-?[0-9]{1,19}$/;
const CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const TEXT_MAX = 2000;

/**
 * Reads an outbox payload field by field, refusing anything off its documented shape.
 * Payloads come from other modules of this process, but they are data, not types: a
 * producer that changes its payload must fail here, loudly, not render "undefined".
 * Error messages name the field, never its value (values may be personal data).
 */
export class Fields {
  private readonly record: Record<string, unknown>;

  constructor(payload: unknown) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new InvalidPayload('(payload)', 'an object');
    }
    this.record = payload as Record<string, unknown>;
  }

  private raw(name: string): unknown {
    return Object.hasOwn(this.record, name) ? this.record[name] : undefined;
  }

  /** An id with one of the given type prefixes (`cus`, `mer`, `stf`…). */
  id(name: string, ...prefixes: string[]): string {
    const v = this.raw(name);
    if (typeof v !== 'string' || !ID.test(v) || !prefixes.some((p) => v.startsWith(`${p}_`))) {
      throw new InvalidPayload(name, `an id of type ${prefixes.join(' or ')}`);
    }
    return v;
  }

  /** An id, or null when the field is null or absent. */
  optionalId(name: string, ...prefixes: string[]): string | null {
    const v = this.raw(name);
    return v === null || v === undefined ? null : this.id(name, ...prefixes);
  }

  /** A reference that is not one of our typed ids (an outbox-foreign id), kept short and printable. */
  ref(name: string): string {
    const v = this.raw(name);
    if (typeof v !== 'string' || !CODE.test(v)) throw new InvalidPayload(name, 'a reference');
    return v;
  }

  /** A machine code (a status, a category, a reason code). */
  code(name: string): string {
    return this.ref(name);
  }

  /** Free text, bounded. */
  text(name: string): string {
    const v = this.raw(name);
    if (typeof v !== 'string' || v.length > TEXT_MAX) throw new InvalidPayload(name, 'a string');
    return v;
  }

  optionalText(name: string): string | null {
    const v = this.raw(name);
    return v === null || v === undefined ? null : this.text(name);
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.raw(name);
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw new InvalidPayload(name, `one of ${values.join(', ')}`);
    }
    return v as T;
  }

  optionalOneOf<T extends string>(name: string, values: readonly T[]): T | null {
    const v = this.raw(name);
    return v === null || v === undefined ? null : this.oneOf(name, values);
  }

  /** An integer string of minor units. */
  amountMinor(name: string): string {
    const v = this.raw(name);
    if (typeof v !== 'string' || !MINOR.test(v)) throw new InvalidPayload(name, 'an integer string');
    return v;
  }

  currency(name: string): string {
    const v = this.raw(name);
    if (typeof v !== 'string' || !isCurrency(v)) throw new InvalidPayload(name, 'a supported currency');
    return v;
  }

  /** An ISO 8601 time. */
  time(name: string): Date {
    const v = this.raw(name);
    const at = typeof v === 'string' && v.length <= 40 ? new Date(v) : undefined;
    if (!at || Number.isNaN(at.getTime())) throw new InvalidPayload(name, 'an ISO 8601 time');
    return at;
  }

  codes(name: string): string[] {
    const v = this.raw(name);
    if (!Array.isArray(v) || v.length > 50 || !v.every((c) => typeof c === 'string' && CODE.test(c))) {
      throw new InvalidPayload(name, 'a list of codes');
    }
    return v as string[];
  }
}
