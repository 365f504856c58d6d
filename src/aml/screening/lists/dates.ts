/**
 * Birth dates in the form `ListEntry.birthDates` holds them: a full ISO date
 * (`1962-01-15`), a year (`1962`), or a year range (`1950-1955`). Anything less precise
 * than a day becomes a year, since the matcher compares years when a day is not known.
 */

const YEAR_MIN = 1800;
const YEAR_MAX = 2100;

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1],
  ['feb', 2],
  ['mar', 3],
  ['apr', 4],
  ['may', 5],
  ['jun', 6],
  ['jul', 7],
  ['aug', 8],
  ['sep', 9],
  ['oct', 10],
  ['nov', 11],
  ['dec', 12],
]);

/** The month number of an English month name or its abbreviation (`Sep`, `Sept.`, `September`). */
export function monthNumber(name: string): number | undefined {
  return MONTHS.get(name.slice(0, 3).toLowerCase());
}

export function isPlausibleYear(year: number): boolean {
  return Number.isInteger(year) && year >= YEAR_MIN && year <= YEAR_MAX;
}

/** `YYYY-MM-DD` when the three numbers make a real calendar date, else undefined. */
export function isoDate(year: number, month: number, day: number): string | undefined {
  if (!isPlausibleYear(year) || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A year range, or the single year when both ends are the same; undefined when reversed or implausible. */
export function yearRange(from: number, to: number): string | undefined {
  if (!isPlausibleYear(from) || !isPlausibleYear(to) || from > to) return undefined;
  return from === to ? String(from) : `${from}-${to}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEAR = /^(\d{4})$/;
const RANGE = /^(\d{4})-(\d{4})$/;

/**
 * Checks a birth date already written in the stored form and returns it normalised, or
 * undefined. Used for the generic lists, where the operator writes the form directly.
 */
export function normaliseBirthDate(value: string): string | undefined {
  const text = value.trim();
  let match = ISO_DATE.exec(text);
  if (match) return isoDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = YEAR.exec(text);
  if (match) return isPlausibleYear(Number(match[1])) ? text : undefined;
  match = RANGE.exec(text);
  if (match) return yearRange(Number(match[1]), Number(match[2]));
  return undefined;
}
