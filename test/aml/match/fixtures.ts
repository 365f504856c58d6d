// Hand-built watch-list entries for the matcher's tests, in the shape the loaders produce.
import type { EntityType, ListEntry, ListName } from '../../../src/aml/screening/types.ts';

interface EntryOptions {
  birthDates?: string[];
  nationalities?: string[];
  /** Kinds of the names after the first (primary); alias by default. */
  kinds?: ListName['kind'][];
}

export function entry(
  sourceId: string,
  type: EntityType,
  names: string[],
  options: EntryOptions = {},
): ListEntry {
  return {
    list: 'test_list',
    sourceId,
    type,
    names: names.map((full, i) => ({
      full,
      kind: i === 0 ? 'primary' : (options.kinds?.[i - 1] ?? 'alias'),
    })),
    birthDates: options.birthDates ?? [],
    nationalities: options.nationalities ?? [],
    countries: [],
    programs: ['TEST'],
    identifiers: [],
  };
}

/** A small list with the people and organisations the tests screen for, and look-alikes. */
export const LIST: ListEntry[] = [
  entry('putin', 'individual', ['PUTIN, Vladimir Vladimirovich', 'Путин Владимир Владимирович'], {
    birthDates: ['1952-10-07'],
    nationalities: ['RU'],
    kinds: ['native'],
  }),
  entry('bin-laden', 'individual', ['BIN LADEN, Osama', 'Usama bin Muhammad bin Awad BIN LADIN'], {
    birthDates: ['1957'],
    nationalities: ['SA'],
  }),
  entry('xi-split', 'individual', ['XI Jin Ping'], { birthDates: ['1953-06-15'], nationalities: ['CN'] }),
  entry('han-only', 'individual', ['李小龙'], { birthDates: ['1940'] }),
  entry('al-qaida', 'entity', ['AL-QAIDA', 'القاعدة', 'The Base'], { kinds: ['native', 'weak_alias'] }),
  entry('cnpc', 'entity', ['中国石油天然气集团有限公司', 'China National Petroleum Corporation']),
  entry('acme', 'entity', ['ACME TRADING CO., LTD.']),
  entry('khalil', 'individual', ['Ahmad bin Omar KHALIL']),
  // Look-alikes of "John Smith" that are other people or organisations.
  entry('smithers', 'individual', ['John SMITHERS'], { birthDates: ['1960'] }),
  entry('schmidt', 'individual', ['Johan SCHMIDT']),
  entry('smithson', 'individual', ['Jonathan SMITHSON']),
  entry('jane-smith', 'individual', ['Jane SMITH']),
  entry('john-doe', 'individual', ['John DOE']),
  entry('smith-trading', 'entity', ['Smith Trading Co Ltd']),
  entry('king', 'individual', ['KING, Ronald'], { birthDates: ['1988-07-19'] }),
];

export function byId(sourceId: string): ListEntry {
  const found = LIST.find((e) => e.sourceId === sourceId);
  if (!found) throw new Error(`no fixture ${sourceId}`);
  return found;
}
