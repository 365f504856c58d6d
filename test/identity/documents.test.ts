// Proves identity documents are checked before any provider is asked: resident ID check digits, birth dates and regions, and the formats of the other accepted documents.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDocument, checkResidentId, residentIdCheckChar } from '../../src/identity/documents.ts';

const TODAY = new Date(Date.UTC(2026, 10, 21));

describe('mainland resident ID (GB 11643)', () => {
  it('accepts the standard example and reads birth date and sex', () => {
    expect(checkResidentId('11010519491231002X', TODAY)).toEqual({
      ok: true,
      normalised: '11010519491231002X',
      birthDate: '1949-12-31',
      sex: 'F',
    });
    expect(checkResidentId(' 11010519491231002x ', TODAY)).toMatchObject({
      ok: true,
      normalised: '11010519491231002X',
    });
  });

  it('refuses a wrong check digit, impossible or future dates, bad regions and bad formats', () => {
    expect(checkResidentId('110105194912310021', TODAY)).toEqual({ ok: false, reason: 'CHECK_DIGIT' });
    const withCheck = (first17: string) => `${first17}${residentIdCheckChar(first17)}`;
    expect(checkResidentId(withCheck('11010519490230002'), TODAY)).toEqual({
      ok: false,
      reason: 'BIRTH_DATE',
    });
    expect(checkResidentId(withCheck('11010520300101002'), TODAY)).toEqual({
      ok: false,
      reason: 'BIRTH_DATE',
    });
    expect(checkResidentId(withCheck('11010518800101002'), TODAY)).toEqual({
      ok: false,
      reason: 'BIRTH_DATE',
    });
    expect(checkResidentId(withCheck('99010519900101002'), TODAY)).toEqual({ ok: false, reason: 'REGION' });
    for (const bad of ['', '1234', '11010519491231002XX', 'A1010519491231002X', '1101051949123100X2']) {
      expect(checkResidentId(bad, TODAY)).toEqual({ ok: false, reason: 'FORMAT' });
    }
  });

  it('catches every single-digit error of a valid number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 11, max: 65 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.date({
          min: new Date(Date.UTC(1930, 0, 1)),
          max: new Date(Date.UTC(2010, 11, 31)),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        (province, area, birth, seq, position, delta) => {
          const date = birth.toISOString().slice(0, 10).replaceAll('-', '');
          const first17 = `${province}${String(area).padStart(4, '0')}${date}${String(seq).padStart(3, '0')}`;
          const valid = `${first17}${residentIdCheckChar(first17)}`;
          expect(checkResidentId(valid, TODAY).ok).toBe(true);
          const digit = (Number(valid[position]) + delta) % 10;
          const altered = `${valid.slice(0, position)}${digit}${valid.slice(position + 1)}`;
          expect(checkResidentId(altered, TODAY).ok).toBe(false);
        },
      ),
    );
  });
});

describe('other documents', () => {
  it('checks formats', () => {
    expect(checkDocument('PASSPORT', 'e12345678')).toEqual({ ok: true, normalised: 'E12345678' });
    expect(checkDocument('PASSPORT', 'E1234')).toEqual({ ok: false, reason: 'FORMAT' });
    expect(checkDocument('HK_MACAU_PERMIT', 'H1234567890')).toMatchObject({ ok: true });
    expect(checkDocument('HK_MACAU_PERMIT', 'X1234567890')).toEqual({ ok: false, reason: 'FORMAT' });
    expect(checkDocument('TAIWAN_PERMIT', '12345678')).toMatchObject({ ok: true });
    expect(checkDocument('FOREIGN_PERMANENT_ID', 'USA123456789012')).toMatchObject({ ok: true });
    expect(checkDocument('CN_RESIDENT_ID', '11010519491231002X', TODAY)).toMatchObject({ ok: true });
  });
});
