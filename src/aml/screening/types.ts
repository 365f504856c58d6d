/**
 * A watch-list entry as every loader produces it and the matcher reads it: one person,
 * organisation, vessel or aircraft with all its names and the attributes that confirm or
 * rule out a match. Loaders keep the source's own ids so a version diff and a hit's
 * explanation point back to the list.
 */
export type EntityType = 'individual' | 'entity' | 'vessel' | 'aircraft' | 'unknown';

export interface ListName {
  /** The name as written in the list. */
  full: string;
  /** Primary name, or an alias and of what quality (OFAC "aka" / "fka" / "nka"; UN "Good" / "Low"). */
  kind: 'primary' | 'alias' | 'weak_alias' | 'former' | 'native';
  /** Script of the name as written, when the source says or it is evident (e.g. `Hani`, `Cyrl`, `Arab`, `Latn`). */
  script?: string;
}

export interface ListEntry {
  /** The list this entry belongs to, e.g. `ofac_sdn`, `un_consolidated`, `internal_pep`. */
  list: string;
  /** The source's id of the entry (OFAC ent_num, UN REFERENCE_NUMBER / DATAID). */
  sourceId: string;
  type: EntityType;
  names: ListName[];
  /** Dates of birth as given: full ISO dates, or a year (`1957`), or a year range (`1950-1955`). */
  birthDates: string[];
  /** ISO 3166-1 alpha-2 where the loader can map it, else the source's words. */
  nationalities: string[];
  /** Countries of addresses, same convention. */
  countries: string[];
  /** Sanctions programmes or list categories (OFAC programme, UN committee). */
  programs: string[];
  /** Free remarks kept for the analyst (OFAC remarks and comments, UN comments). */
  remarks?: string;
  /** Other identifiers (passport, national id, IMO number) as `type: value`. */
  identifiers: string[];
}
