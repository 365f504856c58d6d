import { monotonicFactory } from 'ulid';

/** Type prefixes of every id Bulwark issues; ids sort by creation time within a prefix. */
export type IdPrefix = 'acct' | 'txn' | 'hold' | 'dec' | 'cus' | 'mer' | 'top' | 'wdr' | 'evt' | 'cb';

const nextUlid = monotonicFactory();

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9a-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
