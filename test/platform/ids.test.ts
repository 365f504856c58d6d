// Proves ids carry their type prefix, are unique, and sort in the order they were made.
import { describe, expect, it } from 'vitest';
import { isId, newId } from '../../src/platform/ids.ts';

describe('newId', () => {
  it('is prefixed, 26 base-32 characters, unique and monotonic within a process', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('txn'));
    expect(ids.every((id) => isId(id, 'txn'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('starts with the creation time, so later ids sort after earlier ones', async () => {
    const a = newId('hold');
    await new Promise((r) => setTimeout(r, 5));
    const b = newId('hold');
    expect(a < b).toBe(true);
    expect(isId(a, 'txn')).toBe(false);
  });
});
