import { CATEGORY_PROFILES, type Category, TRANSFER_HOURS, TRANSFER_WEEKEND } from '../demo-population.ts';
import { DAY_MS, HOUR_MS } from './model.ts';

/**
 * The calendar the simulated customers live by, in China's local time (UTC+8): weekends,
 * salary days, the Spring Festival (春节) with its shopping days, reunion dinner and red
 * packets (红包), and Singles' Day (双十一) on 11 November.
 */

export const LOCAL_OFFSET_MS = 8 * HOUR_MS;

/** Chinese New Year's Day (正月初一), fixed per year; other years have no Spring Festival here. */
export const SPRING_FESTIVALS: readonly string[] = ['2025-01-29', '2026-02-17', '2027-02-06'];
const SPRING_FESTIVAL_DAYS = SPRING_FESTIVALS.map((d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS);
/** The festival's effect runs from this many days before New Year's Day to this many after. */
const SPRING_BEFORE_DAYS = 10;
const SPRING_AFTER_DAYS = 6;

export type SalaryDay = 10 | 15 | 'last';

export interface LocalDay {
  /** Position from the stream's first (possibly partial) local day. */
  index: number;
  /** Local midnight as epoch ms. */
  midnight: number;
  /** The part of this day inside the stream: [from, to). */
  from: number;
  to: number;
  /** Local calendar date as YYYY-MM-DD. */
  date: string;
  month: number;
  dayOfMonth: number;
  /** 0 Sunday … 6 Saturday. */
  weekday: number;
  weekend: boolean;
  lastOfMonth: boolean;
  /** Days from Chinese New Year's Day when within the festival period (−1 is the eve, 除夕). */
  springOffset: number | null;
  /** Days from 11 November when within one day of it. */
  singlesOffset: number | null;
}

/** Local midnight (epoch ms) of the day holding `t`. */
export function localMidnight(t: number): number {
  return Math.floor((t + LOCAL_OFFSET_MS) / DAY_MS) * DAY_MS - LOCAL_OFFSET_MS;
}

/** The local hour 0–23 of `t`. */
export function localHour(t: number): number {
  return Math.floor(((t + LOCAL_OFFSET_MS) % DAY_MS) / HOUR_MS);
}

/** The local date YYYY-MM-DD of `t`. */
export function localDate(t: number): string {
  return new Date(t + LOCAL_OFFSET_MS).toISOString().slice(0, 10);
}

/** The local days the stream [start, end] covers, the first and last possibly partial. */
export function localDays(start: number, end: number): LocalDay[] {
  const days: LocalDay[] = [];
  for (let midnight = localMidnight(start), index = 0; midnight <= end; midnight += DAY_MS, index++) {
    days.push(describeDay(index, midnight, Math.max(start, midnight), Math.min(end + 1, midnight + DAY_MS)));
  }
  return days;
}

function describeDay(index: number, midnight: number, from: number, to: number): LocalDay {
  const local = new Date(midnight + LOCAL_OFFSET_MS);
  const dayNumber = Math.round((midnight + LOCAL_OFFSET_MS) / DAY_MS);
  const tomorrow = new Date(midnight + LOCAL_OFFSET_MS + DAY_MS);
  let springOffset: number | null = null;
  for (const newYear of SPRING_FESTIVAL_DAYS) {
    const offset = dayNumber - newYear;
    if (offset >= -SPRING_BEFORE_DAYS && offset <= SPRING_AFTER_DAYS) springOffset = offset;
  }
  const month = local.getUTCMonth() + 1;
  const dayOfMonth = local.getUTCDate();
  const singles = month === 11 && dayOfMonth >= 10 && dayOfMonth <= 12 ? dayOfMonth - 11 : null;
  const weekday = local.getUTCDay();
  return {
    index,
    midnight,
    from,
    to,
    date: local.toISOString().slice(0, 10),
    month,
    dayOfMonth,
    weekday,
    weekend: weekday === 0 || weekday === 6,
    lastOfMonth: tomorrow.getUTCDate() === 1,
    springOffset,
    singlesOffset: singles,
  };
}

export function isSalaryDay(day: LocalDay, salaryDay: SalaryDay): boolean {
  return salaryDay === 'last' ? day.lastOfMonth : day.dayOfMonth === salaryDay;
}

/** How many times the ordinary number of payments in a category happen on this day. */
export function paymentFactor(day: LocalDay, category: Category): number {
  let f = day.weekend ? CATEGORY_PROFILES[category].weekend : 1;
  const s = day.springOffset;
  if (s !== null) f *= SPRING_PAYMENTS[springPhase(s)][category];
  if (category === 'ecommerce' && day.singlesOffset !== null) f *= [1.6, 6, 1.4][day.singlesOffset + 1] ?? 1;
  return f;
}

/** How many times the ordinary number of P2P transfers happen on this day. */
export function transferFactor(day: LocalDay): number {
  const f = day.weekend ? TRANSFER_WEEKEND : 1;
  const s = day.springOffset;
  return s === null ? f : f * SPRING_TRANSFERS[springPhase(s)];
}

/** The share of the day's transfers that are red packets (红包) with lucky amounts. */
export function redPacketShare(day: LocalDay): number {
  const s = day.springOffset;
  return s === null ? 0.03 : SPRING_RED_PACKETS[springPhase(s)];
}

/** Relative activity per local hour for payments in a category on this day. */
export function paymentHours(day: LocalDay, category: Category): readonly number[] {
  if (category === 'ecommerce' && day.singlesOffset === 0) return SINGLES_DAY_HOURS;
  if (category === 'restaurant' && day.springOffset === -1) return REUNION_DINNER_HOURS;
  return CATEGORY_PROFILES[category].hours;
}

export function transferHours(day: LocalDay): readonly number[] {
  if (day.springOffset === -1) return NEW_YEAR_EVE_TRANSFER_HOURS;
  if (day.springOffset === 0) return NEW_YEAR_DAY_TRANSFER_HOURS;
  return TRANSFER_HOURS;
}

type SpringPhase = 'shopping' | 'eve' | 'newYear' | 'visits' | 'return';

function springPhase(offset: number): SpringPhase {
  if (offset < -1) return 'shopping';
  if (offset === -1) return 'eve';
  if (offset === 0) return 'newYear';
  return offset <= 2 ? 'visits' : 'return';
}

/** New-year goods (年货) before, the reunion dinner on the eve, shops and couriers closed after. */
const SPRING_PAYMENTS: Record<SpringPhase, Record<Category, number>> = {
  shopping: { cafe: 1, restaurant: 1.1, grocery: 1.7, transport: 1.3, ecommerce: 1.6, utilities: 1 },
  eve: { cafe: 0.5, restaurant: 2.2, grocery: 1.9, transport: 0.6, ecommerce: 0.7, utilities: 0.5 },
  newYear: { cafe: 0.5, restaurant: 1.4, grocery: 0.8, transport: 0.5, ecommerce: 0.3, utilities: 0.3 },
  visits: { cafe: 0.7, restaurant: 1.5, grocery: 1, transport: 0.9, ecommerce: 0.4, utilities: 0.5 },
  return: { cafe: 0.9, restaurant: 1.3, grocery: 1, transport: 1.4, ecommerce: 0.7, utilities: 0.8 },
};

const SPRING_TRANSFERS: Record<SpringPhase, number> = {
  shopping: 1.3,
  eve: 9,
  newYear: 6,
  visits: 3,
  return: 1.5,
};

const SPRING_RED_PACKETS: Record<SpringPhase, number> = {
  shopping: 0.2,
  eve: 0.85,
  newYear: 0.8,
  visits: 0.6,
  return: 0.3,
};

/** The midnight rush when Singles' Day sales open, and the evening before the day ends. */
const SINGLES_DAY_HOURS: readonly number[] = [
  6, 3, 1.2, 0.5, 0.2, 0.1, 0.2, 0.4, 0.7, 0.9, 1, 1.1, 1.3, 1.1, 1, 1, 1, 1.1, 1.3, 1.6, 2.2, 2.8, 3, 2.6,
];

const REUNION_DINNER_HOURS: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.2, 0.3, 0.8, 1.2, 0.6, 0.2, 0.2, 0.6, 2, 4, 4.2, 2.5, 1, 0.4, 0.2,
];

/** Red packets fly during the gala on the eve and at the stroke of midnight. */
const NEW_YEAR_EVE_TRANSFER_HOURS: readonly number[] = [
  0.2, 0.1, 0, 0, 0, 0, 0.1, 0.3, 0.6, 0.8, 1, 1, 1.2, 1, 0.9, 0.9, 1, 1.3, 1.8, 2.4, 3, 3.2, 3.4, 4.5,
];

const NEW_YEAR_DAY_TRANSFER_HOURS: readonly number[] = [
  5, 2, 0.6, 0.2, 0.1, 0.1, 0.3, 1, 2, 2.2, 2, 1.6, 1.4, 1.2, 1, 1, 1, 1, 1.1, 1.2, 1.1, 0.9, 0.6, 0.4,
];
