/**
 * Secondary attributes that confirm or rule out a name match: date of birth, nationality,
 * entity type, and the quality of the list name that matched. Each effect is a fixed
 * number of points added to the name score, so an analyst can redo the sum by hand.
 * Absent data on either side has no effect: an unknown is neither for nor against.
 */
import type { EntityType, ListEntry, ListName } from '../types.ts';

export type AttributeOutcome =
  | 'match'
  | 'year_match'
  | 'same_year_other_date'
  | 'near_year'
  | 'mismatch'
  | 'weak_alias'
  | 'unreadable';

export interface AttributeEffect {
  attribute: 'birthDate' | 'nationality' | 'type' | 'nameQuality';
  outcome: AttributeOutcome;
  /** The query's value. */
  query: string;
  /** The list value that decided the outcome (the closest date, the nationalities, the type). */
  list: string;
  /** Added to the score (negative: removed). */
  points: number;
}

/** The same full date of birth. */
export const DOB_MATCH_POINTS = 0.05;
/** The same year where only a year (or a range) is known on one side. */
export const DOB_YEAR_MATCH_POINTS = 0.02;
/** Full dates in the same year but different days: often a day/month swap or a typo. */
export const DOB_SAME_YEAR_OTHER_DATE_POINTS = -0.05;
/** Years one apart: lists often give an approximate year, so this says less. */
export const DOB_NEAR_YEAR_POINTS = -0.1;
/**
 * Years further apart (or outside the listed range): usually a different person. Enough to
 * take a perfect name match (1.0) below the default threshold (0.85).
 */
export const DOB_MISMATCH_POINTS = -0.2;
export const NATIONALITY_MATCH_POINTS = 0.03;
/** Weaker than a date: people hold several nationalities and lists omit some. */
export const NATIONALITY_MISMATCH_POINTS = -0.05;
/** A person against an organisation, vessel or aircraft, or an organisation against a person. */
export const TYPE_MISMATCH_POINTS = -0.2;
/** OFAC "weak aka" / UN "Low quality" aliases are broad by design. */
export const WEAK_ALIAS_POINTS = -0.05;
/** The most the attributes can add: a name score this far below the threshold can never hit. */
export const MAX_BONUS_POINTS = DOB_MATCH_POINTS + NATIONALITY_MATCH_POINTS;

interface DateSpan {
  fromYear: number;
  toYear: number;
  /** YYYY-MM-DD when the full date is known. */
  day?: string;
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEAR_MONTH = /^(\d{4})-(\d{2})$/;
const YEAR = /^(\d{4})$/;
const YEAR_RANGE = /^(\d{4})\s*[-–/]\s*(\d{4})$/;
const ANY_YEAR = /(?<!\d)(1[89]\d\d|20\d\d)(?!\d)/;

/** Reads the date forms loaders produce (and, as a fallback, any four-digit year in the text). */
export function parseBirthDate(text: string): DateSpan | null {
  const s = text.trim();
  let m = FULL_DATE.exec(s);
  if (m) return { fromYear: Number(m[1]), toYear: Number(m[1]), day: s };
  m = YEAR_MONTH.exec(s) ?? YEAR.exec(s);
  if (m) return { fromYear: Number(m[1]), toYear: Number(m[1]) };
  m = YEAR_RANGE.exec(s);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    return { fromYear: Math.min(a, b), toYear: Math.max(a, b) };
  }
  m = ANY_YEAR.exec(s);
  if (m) return { fromYear: Number(m[1]), toYear: Number(m[1]) };
  return null;
}

function compareDates(q: DateSpan, l: DateSpan): { outcome: AttributeOutcome; points: number } {
  if (q.day && l.day) {
    if (q.day === l.day) return { outcome: 'match', points: DOB_MATCH_POINTS };
    if (q.fromYear === l.fromYear) {
      return { outcome: 'same_year_other_date', points: DOB_SAME_YEAR_OTHER_DATE_POINTS };
    }
  } else if (q.fromYear <= l.toYear && l.fromYear <= q.toYear) {
    return { outcome: 'year_match', points: DOB_YEAR_MATCH_POINTS };
  }
  // The years (or ranges) do not meet: by how much decides how much it counts.
  const gap = Math.max(q.fromYear - l.toYear, l.fromYear - q.toYear);
  return gap <= 1
    ? { outcome: 'near_year', points: DOB_NEAR_YEAR_POINTS }
    : { outcome: 'mismatch', points: DOB_MISMATCH_POINTS };
}

/** The effect of the query's date of birth: the most favourable of the entry's dates decides. */
export function birthDateEffect(query: string | undefined, entry: ListEntry): AttributeEffect | null {
  if (!query || entry.birthDates.length === 0) return null;
  const q = parseBirthDate(query);
  if (!q) return { attribute: 'birthDate', outcome: 'unreadable', query, list: '', points: 0 };
  let best: AttributeEffect | null = null;
  for (const listed of entry.birthDates) {
    const l = parseBirthDate(listed);
    if (!l) continue;
    const { outcome, points } = compareDates(q, l);
    if (!best || points > best.points)
      best = { attribute: 'birthDate', outcome, query, list: listed, points };
  }
  return best;
}

const ISO_ALPHA2 = /^[A-Z]{2}$/;

/**
 * The effect of the query's nationality. Only ISO alpha-2 codes are compared: a loader that
 * could not map a country leaves its words, and words cannot disagree with a code.
 */
export function nationalityEffect(query: string | undefined, entry: ListEntry): AttributeEffect | null {
  if (!query) return null;
  const q = query.trim().toUpperCase();
  if (!ISO_ALPHA2.test(q)) return null;
  const codes = entry.nationalities.map((n) => n.trim().toUpperCase()).filter((n) => ISO_ALPHA2.test(n));
  if (codes.length === 0) return null;
  const list = codes.join(', ');
  return codes.includes(q)
    ? { attribute: 'nationality', outcome: 'match', query: q, list, points: NATIONALITY_MATCH_POINTS }
    : { attribute: 'nationality', outcome: 'mismatch', query: q, list, points: NATIONALITY_MISMATCH_POINTS };
}

/** The effect of the query's type; an entry of unknown type is not held against anyone. */
export function typeEffect(
  query: 'individual' | 'entity' | undefined,
  entry: ListEntry,
): AttributeEffect | null {
  if (!query || entry.type === 'unknown') return null;
  const listed: EntityType = entry.type;
  const agrees = query === 'individual' ? listed === 'individual' : listed === 'entity';
  return agrees
    ? { attribute: 'type', outcome: 'match', query, list: listed, points: 0 }
    : { attribute: 'type', outcome: 'mismatch', query, list: listed, points: TYPE_MISMATCH_POINTS };
}

export function nameQualityEffect(name: ListName): AttributeEffect | null {
  if (name.kind !== 'weak_alias') return null;
  return {
    attribute: 'nameQuality',
    outcome: 'weak_alias',
    query: '',
    list: name.full,
    points: WEAK_ALIAS_POINTS,
  };
}
