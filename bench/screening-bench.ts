/**
 * Name-screening benchmark: what the screening index (src/aml/screening/match) costs a
 * risk decision and a full re-screen, against brute force in the same run.
 *
 *   npm run bench:screening
 *   BENCH_ENTRIES=5000 BENCH_BATCH=20000 npm run bench:screening   # a quicker run
 *
 * The list: BENCH_ENTRIES synthetic entries drawn with a fixed seed, as loaders produce
 * them: Western names (with and without middle names), Arabic names in Latin with the
 * Arabic spelling as a native alias, Russian names transliterated with the Cyrillic native
 * name, Chinese names in pinyin with the characters, and organisations in English, Chinese
 * and Russian with their legal forms; dates of birth (full or year), nationalities.
 * The queries: customer names from the same pools (so they share words with the list, as
 * real customers do), and BENCH_PLANTED_SHARE of them derived from list entries: a typo,
 * the order reversed, the native spelling, and for a person the middle name left out, for
 * an organisation another legal form.
 *
 * Measured:
 *  1. index build time (best of BENCH_BUILDS builds);
 *  2. single-query latency over BENCH_SINGLE queries one at a time, p50/p99/max, against
 *     the 50 ms decision deadline;
 *  3. batch throughput: BENCH_BATCH queries through screenBatch in chunks (a re-screen);
 *  4. baselines on BENCH_BRUTE queries: a plain brute-force scan (Jaro-Winkler of the query
 *     against every list name, tokens sorted, as a naive matcher would), and the same
 *     scorer as the index run exhaustively over every name; the ratios of their latency to
 *     the index's, and the index's recall against the exhaustive scorer (what blocking misses).
 *
 * Knobs: BENCH_ENTRIES (20000), BENCH_SINGLE (5000), BENCH_BATCH (100000), BENCH_BRUTE
 * (200), BENCH_PLANTED_SHARE (0.05), BENCH_BUILDS (2), BENCH_SEED (11).
 * Results: a table on stdout and bench/results/screening.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import anyAscii from 'any-ascii';
import { pinyin } from 'pinyin-pro';
import {
  DEFAULT_THRESHOLD,
  type Hit,
  MAX_BATCH_QUERIES,
  ScreeningIndex,
  type ScreeningQuery,
} from '../src/aml/screening/match/index.ts';
import { normalizeName } from '../src/aml/screening/match/normalize.ts';
import { jaroWinkler } from '../src/aml/screening/match/similarity.ts';
import type { ListEntry, ListName } from '../src/aml/screening/types.ts';
import { Random } from '../src/simulator/random.ts';
import { percentile } from './driver.ts';

const RESULTS_FILE = fileURLToPath(new URL('./results/screening.json', import.meta.url));
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 20_000);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 5_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100_000);
const BRUTE = Number(process.env.BENCH_BRUTE ?? 200);
const PLANTED_SHARE = Number(process.env.BENCH_PLANTED_SHARE ?? 0.05);
const BUILDS = Math.max(1, Number(process.env.BENCH_BUILDS ?? 2));
const SEED = Number(process.env.BENCH_SEED ?? 11);
const WARMUP_QUERIES = 2_000;
const DEADLINE_MS = 50;

// ---------------------------------------------------------------------------------------
// Name pools.

const WESTERN_FIRST = (
  'James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew ' +
  'Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason ' +
  'Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel ' +
  'Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret ' +
  'Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura ' +
  'Hans Klaus Juergen Pierre Jean Francois Giovanni Marco Luca Carlos Jose Juan Miguel Pedro Antonio'
).split(' ');
const WESTERN_LAST = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez ' +
  'Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark ' +
  'Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams ' +
  'Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker ' +
  'Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper ' +
  'Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James ' +
  'Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster ' +
  'Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Moreau Laurent ' +
  'Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti DeLuca'
).split(' ');

/** Latin spelling, Arabic spelling. */
const ARABIC_GIVEN: ReadonlyArray<readonly [string, string]> = [
  ['Mohammed', 'محمد'],
  ['Ahmad', 'أحمد'],
  ['Ali', 'علي'],
  ['Omar', 'عمر'],
  ['Khalid', 'خالد'],
  ['Yusuf', 'يوسف'],
  ['Hassan', 'حسن'],
  ['Hussein', 'حسين'],
  ['Ibrahim', 'إبراهيم'],
  ['Abdullah', 'عبد الله'],
  ['Mahmoud', 'محمود'],
  ['Mustafa', 'مصطفى'],
  ['Saeed', 'سعيد'],
  ['Tariq', 'طارق'],
  ['Karim', 'كريم'],
  ['Nasser', 'ناصر'],
  ['Faisal', 'فيصل'],
  ['Hamza', 'حمزة'],
  ['Bilal', 'بلال'],
  ['Jamal', 'جمال'],
  ['Rashid', 'راشد'],
  ['Salim', 'سالم'],
  ['Walid', 'وليد'],
  ['Zaid', 'زيد'],
  ['Adel', 'عادل'],
  ['Fahd', 'فهد'],
  ['Majid', 'ماجد'],
  ['Nabil', 'نبيل'],
  ['Sami', 'سامي'],
  ['Yasin', 'ياسين'],
  ['Osama', 'أسامة'],
  ['Anwar', 'أنور'],
  ['Ayman', 'أيمن'],
  ['Ziad', 'زياد'],
  ['Marwan', 'مروان'],
  ['Imad', 'عماد'],
];
const ARABIC_FAMILY: ReadonlyArray<readonly [string, string]> = [
  ['al-Masri', 'المصري'],
  ['al-Rashid', 'الرشيد'],
  ['Haddad', 'حداد'],
  ['Khoury', 'خوري'],
  ['al-Tamimi', 'التميمي'],
  ['al-Harbi', 'الحربي'],
  ['al-Qahtani', 'القحطاني'],
  ['al-Shehri', 'الشهري'],
  ['Nasrallah', 'نصر الله'],
  ['Mansour', 'منصور'],
  ['Saleh', 'صالح'],
  ['Darwish', 'درويش'],
  ['al-Zahrani', 'الزهراني'],
  ['Hamdan', 'حمدان'],
  ['Aziz', 'عزيز'],
  ['Jaber', 'جابر'],
  ['Barakat', 'بركات'],
  ['Qasim', 'قاسم'],
  ['Sultan', 'سلطان'],
  ['Awad', 'عوض'],
  ['al-Baghdadi', 'البغدادي'],
  ['al-Awlaki', 'العولقي'],
  ['Zawahiri', 'الظواهري'],
  ['al-Hashimi', 'الهاشمي'],
  ['Khalil', 'خليل'],
  ['Abbas', 'عباس'],
  ['Suleiman', 'سليمان'],
  ['Othman', 'عثمان'],
];
const RUSSIAN_FIRST = (
  'Александр Сергей Владимир Дмитрий Андрей Алексей Михаил Игорь Евгений Николай Юрий Олег Виктор ' +
  'Павел Иван Максим Роман Артём Денис Антон Борис Геннадий Григорий Константин Леонид Вадим Анна ' +
  'Елена Ольга Наталья Татьяна Ирина Светлана Екатерина Мария Людмила'
).split(' ');
const RUSSIAN_LAST = (
  'Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков ' +
  'Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин ' +
  'Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов ' +
  'Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв ' +
  'Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов ' +
  'Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов'
).split(' ');
const RUSSIAN_PATRONYMIC = (
  'Александрович Сергеевич Владимирович Дмитриевич Андреевич Алексеевич Михайлович Игоревич ' +
  'Евгеньевич Николаевич Юрьевич Олегович Викторович Павлович Иванович Борисович'
).split(' ');
const CHINESE_SURNAMES = Array.from(
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤',
);
const CHINESE_GIVEN = Array.from(
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲志红国海林云飞鹏宇浩凯斌峰晨欣婷雪琳博俊新民东亮成春德小永立庆宏光',
);
const CHINESE_COMPANY_PLACES = [
  '上海',
  '北京',
  '深圳',
  '广州',
  '天津',
  '香港',
  '重庆',
  '大连',
  '宁波',
  '厦门',
];
const CHINESE_COMPANY_WORDS = [
  '华丰',
  '恒通',
  '金达',
  '宏远',
  '新兴',
  '永盛',
  '东方',
  '国泰',
  '长城',
  '海洋',
  '天成',
  '中联',
];
const CHINESE_COMPANY_TRADES = [
  '贸易',
  '实业',
  '科技',
  '航运',
  '石油',
  '化工',
  '电子',
  '投资',
  '物流',
  '矿业',
];
const CHINESE_LEGAL = ['有限公司', '股份有限公司', '集团有限公司'];
const COMPANY_WORDS = (
  'Golden Star Atlantic Pacific Orient Global United Eastern Northern Silver Crescent Royal Falcon Phoenix ' +
  'Zenith Summit Horizon Delta Apex Meridian Sapphire Emerald Liberty Pioneer Vanguard Trident Oasis Cedar'
).split(' ');
const COMPANY_TRADES = (
  'Trading Shipping Petroleum Logistics Holdings Industries Investments Electronics Chemicals Maritime ' +
  'Mining Exports Ventures Technologies Capital Energy Metals Aviation Finance Resources'
).split(' ');
const COMPANY_LEGAL = [
  'Co Ltd',
  'LLC',
  'Limited',
  'Inc',
  'Corp',
  'GmbH',
  'S.A.',
  'FZE',
  'Pte Ltd',
  'JSC',
  'PLC',
];
const RUSSIAN_COMPANY_WORDS =
  'Ромашка Вектор Альфа Сибирь Восток Север Энергия Прогресс Меридиан Балтика Нева Урал'.split(' ');
const RUSSIAN_COMPANY_TRADES = 'Трейд Нефть Логистик Инвест Строй Металл Транс Холдинг'.split(' ');
const COUNTRIES = 'US GB DE FR IT ES RU CN IR SY IQ YE SA AE EG LB KP VE CU AF PK'.split(' ');

// ---------------------------------------------------------------------------------------
// Entries and queries.

interface Drawn {
  type: ListEntry['type'];
  names: ListName[];
  /** Words of the primary name in order, for the planted variants. */
  words: string[];
  /** A native spelling, when there is one. */
  native?: string;
}

function latinOfCyrillic(word: string): string {
  return anyAscii(word);
}

function pinyinOf(chars: string): string {
  const s = pinyin(chars, { toneType: 'none', type: 'array', surname: 'head' }).join('');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function drawName(r: Random): Drawn {
  const kind = r.weighted([30, 20, 15, 15, 12, 5, 3]);
  switch (kind) {
    case 0: {
      const first = r.pick(WESTERN_FIRST);
      const last = r.pick(WESTERN_LAST);
      const middle = r.chance(0.4) ? r.pick(WESTERN_FIRST) : undefined;
      const words = middle ? [first, middle, last] : [first, last];
      const names: ListName[] = [
        { full: `${last.toUpperCase()}, ${words.slice(0, -1).join(' ')}`, kind: 'primary' },
      ];
      if (r.chance(0.3)) names.push({ full: `${first} ${r.pick(WESTERN_LAST)}`, kind: 'alias' });
      return { type: 'individual', names, words };
    }
    case 1: {
      const [given, givenAr] = r.pick(ARABIC_GIVEN);
      const [father, fatherAr] = r.pick(ARABIC_GIVEN);
      const [family, familyAr] = r.pick(ARABIC_FAMILY);
      const withBin = r.chance(0.4);
      const words = withBin ? [given, 'bin', father, family] : [given, father, family];
      const native = withBin ? `${givenAr} بن ${fatherAr} ${familyAr}` : `${givenAr} ${fatherAr} ${familyAr}`;
      const names: ListName[] = [
        { full: words.join(' '), kind: 'primary' },
        { full: native, kind: 'native', script: 'Arab' },
      ];
      if (r.chance(0.3)) names.push({ full: `Abu ${r.pick(ARABIC_GIVEN)[0]}`, kind: 'weak_alias' });
      return { type: 'individual', names, words, native };
    }
    case 2: {
      const first = r.pick(RUSSIAN_FIRST);
      const patronymic = r.pick(RUSSIAN_PATRONYMIC);
      const last = r.pick(RUSSIAN_LAST);
      const native = `${last} ${first} ${patronymic}`;
      const words = [first, patronymic, last].map(latinOfCyrillic);
      const names: ListName[] = [
        {
          full: `${latinOfCyrillic(last).toUpperCase()}, ${latinOfCyrillic(first)} ${latinOfCyrillic(patronymic)}`,
          kind: 'primary',
        },
        { full: native, kind: 'native', script: 'Cyrl' },
      ];
      return { type: 'individual', names, words, native };
    }
    case 3: {
      const surname = r.pick(CHINESE_SURNAMES);
      const given = r.chance(0.8) ? r.pick(CHINESE_GIVEN) + r.pick(CHINESE_GIVEN) : r.pick(CHINESE_GIVEN);
      const native = surname + given;
      const words = [pinyinOf(surname).toUpperCase(), pinyinOf(given)];
      const names: ListName[] = [
        { full: words.join(' '), kind: 'primary' },
        { full: native, kind: 'native', script: 'Hani' },
      ];
      return { type: 'individual', names, words, native };
    }
    case 4: {
      const words = [r.pick(COMPANY_WORDS), r.pick(COMPANY_WORDS), r.pick(COMPANY_TRADES)];
      const names: ListName[] = [{ full: `${words.join(' ')} ${r.pick(COMPANY_LEGAL)}`, kind: 'primary' }];
      if (r.chance(0.3)) names.push({ full: `${words[0]} ${r.pick(COMPANY_TRADES)}`, kind: 'alias' });
      return { type: 'entity', names, words };
    }
    case 5: {
      const core =
        r.pick(CHINESE_COMPANY_PLACES) + r.pick(CHINESE_COMPANY_WORDS) + r.pick(CHINESE_COMPANY_TRADES);
      const native = core + r.pick(CHINESE_LEGAL);
      const words = pinyin(core, { toneType: 'none', type: 'array' });
      const names: ListName[] = [
        { full: `${words.join(' ').toUpperCase()} CO., LTD.`, kind: 'primary' },
        { full: native, kind: 'native', script: 'Hani' },
      ];
      return { type: 'entity', names, words, native };
    }
    default: {
      const core = `${r.pick(RUSSIAN_COMPANY_WORDS)}-${r.pick(RUSSIAN_COMPANY_TRADES)}`;
      const native = `ООО «${core}»`;
      const words = [latinOfCyrillic(core)];
      const names: ListName[] = [
        { full: `${words[0]} LLC`, kind: 'primary' },
        { full: native, kind: 'native', script: 'Cyrl' },
      ];
      return { type: 'entity', names, words, native };
    }
  }
}

function drawBirthDate(r: Random): string {
  const year = r.int(1940, 2000);
  if (r.chance(0.4)) return String(year);
  return `${year}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
}

function drawEntry(r: Random, i: number): { entry: ListEntry; drawn: Drawn } {
  const drawn = drawName(r);
  const individual = drawn.type === 'individual';
  const entry: ListEntry = {
    list: i % 3 === 0 ? 'un_consolidated' : 'ofac_sdn',
    sourceId: String(10_000 + i),
    type: drawn.type,
    names: drawn.names,
    birthDates: individual && r.chance(0.8) ? [drawBirthDate(r)] : [],
    nationalities: individual && r.chance(0.7) ? [r.pick(COUNTRIES)] : [],
    countries: [],
    programs: ['SDGT'],
    identifiers: [],
  };
  return { entry, drawn };
}

/** One typo: a letter replaced, dropped, doubled or swapped with the next. */
function typo(r: Random, word: string): string {
  if (word.length < 4) return word;
  const at = r.int(1, word.length - 2);
  const letters = 'aeioulnrst';
  switch (r.int(0, 3)) {
    case 0:
      return word.slice(0, at) + r.pick(Array.from(letters)) + word.slice(at + 1);
    case 1:
      return word.slice(0, at) + word.slice(at + 1);
    case 2:
      return word.slice(0, at) + word[at] + word.slice(at);
    default:
      return word.slice(0, at) + (word[at + 1] ?? '') + (word[at] ?? '') + word.slice(at + 2);
  }
}

interface Query {
  query: ScreeningQuery;
  /** The list entry a planted query was derived from. */
  plantedFrom?: number;
  variant?: string;
}

function plantedQuery(r: Random, e: number, entry: ListEntry, drawn: Drawn): Query {
  // A person's middle name left out; an organisation under another legal form.
  const fourth = entry.type === 'individual' ? 'middle_left_out' : 'other_legal_form';
  const variant = r.pick(['typo', 'reversed', fourth, 'native']);
  let words = drawn.words.slice();
  if (variant === 'typo') {
    const k = r.int(0, words.length - 1);
    words[k] = typo(r, words[k] ?? '');
  } else if (variant === 'reversed') words.reverse();
  else if (variant === 'middle_left_out' && words.length > 2) {
    words = [words[0] ?? '', words[words.length - 1] ?? ''];
  } else if (variant === 'other_legal_form') words.push(r.pick(COMPANY_LEGAL));
  const name = variant === 'native' && drawn.native ? drawn.native : words.join(' ');
  const query: ScreeningQuery = { name, type: entry.type === 'entity' ? 'entity' : 'individual' };
  const dob = entry.birthDates[0];
  if (dob && r.chance(0.5)) query.birthDate = dob;
  return { query, plantedFrom: e, variant };
}

/** Wallet customers: nine in ten are people, against one in five on the lists. */
function customerQuery(r: Random): Query {
  const wantIndividual = r.chance(0.9);
  let drawn = drawName(r);
  for (let tries = 0; tries < 20 && (drawn.type === 'individual') !== wantIndividual; tries++)
    drawn = drawName(r);
  const individual = drawn.type === 'individual';
  const primary = drawn.native && r.chance(0.2) ? drawn.native : drawn.words.join(' ');
  const query: ScreeningQuery = { name: primary, type: individual ? 'individual' : 'entity' };
  if (individual) {
    query.birthDate = drawBirthDate(r);
    query.nationality = r.pick(COUNTRIES);
  }
  return { query };
}

// ---------------------------------------------------------------------------------------
// The brute-force baseline a naive matcher would be: every list name, normalised once
// and its tokens sorted, compared with the query by Jaro-Winkler of the whole string.

function sortedTokens(name: string, type?: ListEntry['type']): string {
  return normalizeName(name, type ? { type } : {})
    .tokens.map((t) => t.text)
    .sort()
    .join(' ');
}

function bruteForceScan(listNames: readonly string[], query: string, threshold: number): number {
  let hits = 0;
  for (const name of listNames) if (jaroWinkler(query, name) >= threshold) hits++;
  return hits;
}

// ---------------------------------------------------------------------------------------
// The run.

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function latencies(samplesMs: number[]): { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number } {
  const sorted = Float64Array.from(samplesMs).sort();
  const sum = samplesMs.reduce((a, b) => a + b, 0);
  return {
    p50Ms: round(percentile(sorted, 50), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(percentile(sorted, 100), 3),
    meanMs: round(sum / Math.max(1, samplesMs.length), 3),
  };
}

const loadAverageAtStart = os.loadavg().map((x) => round(x));
const startedAt = new Date().toISOString();
const rnd = new Random(SEED);
const listRnd = rnd.fork('list');
const drawnEntries = Array.from({ length: ENTRIES }, (_, i) => drawEntry(listRnd, i));
const entries = drawnEntries.map((d) => d.entry);
const scriptsOnList: Record<string, number> = {};
for (const e of entries) {
  for (const n of e.names) {
    const script = n.script ?? 'Latn';
    scriptsOnList[script] = (scriptsOnList[script] ?? 0) + 1;
  }
}

// 1. Build.
const buildMs: number[] = [];
let index = ScreeningIndex.build(entries);
buildMs.push(index.stats.buildMs);
for (let b = 1; b < BUILDS; b++) {
  index = ScreeningIndex.build(entries);
  buildMs.push(index.stats.buildMs);
}

const queryRnd = rnd.fork('queries');
const queryCount = Math.max(SINGLE, BATCH);
const queries: Query[] = Array.from({ length: queryCount }, () => {
  if (queryRnd.chance(PLANTED_SHARE)) {
    const e = queryRnd.int(0, entries.length - 1);
    const d = drawnEntries[e];
    if (d) return plantedQuery(queryRnd, e, d.entry, d.drawn);
  }
  return customerQuery(queryRnd);
});

// Warm-up: the JIT, and pinyin-pro's dictionaries.
for (let i = 0; i < Math.min(WARMUP_QUERIES, queries.length); i++) {
  const q = queries[queries.length - 1 - i];
  if (q) index.screen(q.query);
}

// 2. Single queries, one at a time.
const singleMs: number[] = [];
const candidateCounts: number[] = [];
let overDeadline = 0;
for (let i = 0; i < SINGLE; i++) {
  const q = queries[i];
  if (!q) break;
  const t0 = performance.now();
  const { stats } = index.screenWithStats(q.query);
  const ms = performance.now() - t0;
  singleMs.push(ms);
  candidateCounts.push(stats.candidates);
  if (ms > DEADLINE_MS) overDeadline++;
}
const single = latencies(singleMs);
const candidates = latencies(candidateCounts);

// 3. Batch: a re-screen of BATCH customers, in chunks of the largest batch the index takes.
let hitCount = 0;
let queriesWithHits = 0;
let plantedTotal = 0;
let plantedFound = 0;
const plantedByVariant: Record<string, { planted: number; found: number }> = {};
const batchStarted = performance.now();
for (let from = 0; from < BATCH; from += MAX_BATCH_QUERIES) {
  const chunk = queries.slice(from, Math.min(BATCH, from + MAX_BATCH_QUERIES));
  const answers = index.screenBatch(chunk.map((q) => q.query));
  answers.forEach((hits, k) => {
    hitCount += hits.length;
    if (hits.length > 0) queriesWithHits++;
    const q = chunk[k];
    if (q?.plantedFrom === undefined || !q.variant) return;
    const entry = entries[q.plantedFrom];
    const found = hits.some((h) => h.entry === entry);
    plantedTotal++;
    const v = plantedByVariant[q.variant] ?? { planted: 0, found: 0 };
    plantedByVariant[q.variant] = v;
    v.planted++;
    if (found) {
      plantedFound++;
      v.found++;
    }
  });
}
const batchSeconds = (performance.now() - batchStarted) / 1000;

// 4. Baselines on BRUTE queries (planted ones among them, so that recall means something).
const bruteQueries = queries.slice(0, BRUTE * 4).filter((q, i) => q.plantedFrom !== undefined || i % 4 === 0);
const bruteSample = bruteQueries.slice(0, BRUTE);
const listNames: string[] = [];
for (const e of entries) for (const n of e.names) listNames.push(sortedTokens(n.full, e.type));
const bruteMs: number[] = [];
const exhaustiveMs: number[] = [];
const indexMs: number[] = [];
let bruteHits = 0;
let exhaustiveHits = 0;
let indexHitsOfExhaustive = 0;
const key = (h: Hit) => `${h.entry.list}/${h.entry.sourceId}`;
for (const q of bruteSample) {
  let t0 = performance.now();
  bruteHits += bruteForceScan(listNames, sortedTokens(q.query.name, q.query.type), DEFAULT_THRESHOLD);
  bruteMs.push(performance.now() - t0);
  t0 = performance.now();
  const all = index.screen(q.query, { exhaustive: true });
  exhaustiveMs.push(performance.now() - t0);
  t0 = performance.now();
  const found = new Set(index.screen(q.query).map(key));
  indexMs.push(performance.now() - t0);
  exhaustiveHits += all.length;
  for (const h of all) if (found.has(key(h))) indexHitsOfExhaustive++;
}
const brute = latencies(bruteMs);
const exhaustive = latencies(exhaustiveMs);
const indexed = latencies(indexMs);

const result = {
  benchmark: 'screening',
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    /** 1, 5 and 15 minute load averages: this machine is shared, and contention inflates the figures. */
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((x) => round(x)),
  },
  parameters: {
    entries: ENTRIES,
    singleQueries: SINGLE,
    batchQueries: BATCH,
    bruteQueries: bruteSample.length,
    plantedShare: PLANTED_SHARE,
    builds: BUILDS,
    seed: SEED,
    threshold: DEFAULT_THRESHOLD,
    deadlineMs: DEADLINE_MS,
  },
  index: {
    ...index.stats,
    buildMs: round(Math.min(...buildMs)),
    buildMsEach: buildMs.map((x) => round(x)),
    namesByScript: scriptsOnList,
  },
  single: { ...single, overDeadline, candidatesP50: candidates.p50Ms, candidatesP99: candidates.p99Ms },
  batch: {
    queries: BATCH,
    seconds: round(batchSeconds, 3),
    queriesPerSecond: Math.round(BATCH / batchSeconds),
    hits: hitCount,
    queriesWithHits,
    planted: plantedTotal,
    plantedFound,
    plantedRecall: round(plantedFound / Math.max(1, plantedTotal), 4),
    plantedByVariant,
  },
  baseline: {
    queries: bruteSample.length,
    bruteForceJaroWinkler: { ...brute, hits: bruteHits },
    exhaustiveSameScorer: { ...exhaustive, hits: exhaustiveHits },
    index: indexed,
    /** How many times slower each baseline is than the index, by mean latency on the same queries. */
    ratioBruteForceToIndex: round(brute.meanMs / Math.max(indexed.meanMs, 0.001), 1),
    ratioExhaustiveToIndex: round(exhaustive.meanMs / Math.max(indexed.meanMs, 0.001), 1),
    /** The share of the exhaustive scorer's hits that the index also returns (what blocking costs). */
    indexRecallOfExhaustive: round(indexHitsOfExhaustive / Math.max(1, exhaustiveHits), 4),
  },
};
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);

const ms = (x: number) => `${x.toFixed(3)} ms`;
console.log(
  `list: ${ENTRIES} entries, ${index.stats.names} distinct names (${Object.entries(scriptsOnList)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ')}), ${index.stats.keys} keys, ${index.stats.postings} postings`,
);
console.log(`build:  ${result.index.buildMs} ms (best of ${BUILDS}: ${result.index.buildMsEach.join(', ')})`);
console.log(
  `single: ${SINGLE} queries  p50 ${ms(single.p50Ms)}  p99 ${ms(single.p99Ms)}  max ${ms(single.maxMs)}  ` +
    `(${overDeadline} over ${DEADLINE_MS} ms; candidates p50 ${candidates.p50Ms}, p99 ${candidates.p99Ms})`,
);
console.log(
  `batch:  ${BATCH} queries in ${result.batch.seconds} s = ${result.batch.queriesPerSecond} queries/s; ` +
    `${queriesWithHits} with hits; planted ${plantedFound}/${plantedTotal} found (${Object.entries(
      plantedByVariant,
    )
      .map(([v, x]) => `${v} ${x.found}/${x.planted}`)
      .join(', ')})`,
);
console.log(
  `baseline on ${bruteSample.length} queries (mean): brute-force Jaro-Winkler ${ms(brute.meanMs)}, ` +
    `exhaustive same scorer ${ms(exhaustive.meanMs)}, index ${ms(indexed.meanMs)}`,
);
console.log(
  `  ratio brute force / index ×${result.baseline.ratioBruteForceToIndex}, exhaustive / index ×${result.baseline.ratioExhaustiveToIndex}; ` +
    `index recall of the exhaustive scorer's hits ${indexHitsOfExhaustive}/${exhaustiveHits}`,
);
console.log(`\nwrote ${RESULTS_FILE}`);
