import { residentIdCheckChar } from '../../identity/documents.ts';
import type { KycTier } from '../../identity/tiers.ts';
import { buildMerchants, CATEGORIES, CATEGORY_PROFILES, type Category } from '../demo-population.ts';
import { hashString, type Random, WeightedTable } from '../random.ts';
import type { SalaryDay } from './calendar.ts';
import { DAY_MS, type Geo, must } from './model.ts';

/**
 * Who the simulated traffic comes from: customers with a home region, one or two phones,
 * a usual address range, a salary day, a personal typical amount, favourite shops and
 * people they send money to; and merchants. Drawn from seeded streams only.
 */

export interface Region {
  name: string;
  /** 区划代码 of a district, the first six digits of resident ID numbers issued there. */
  code: string;
  lat: number;
  lon: number;
  /** First two octets of address blocks of the region's broadband and mobile networks. */
  ipBlocks: ReadonlyArray<readonly [number, number]>;
  weight: number;
}

/** Name, district code, latitude, longitude, address blocks (first two octets), weight. */
export const REGIONS: readonly Region[] = [
  'Shanghai 310101 31.23 121.47 58.246,101.80,180.160 10',
  'Beijing 110105 39.90 116.40 123.112,114.242,106.120 9',
  'Guangdong 440106 23.13 113.26 113.108,119.123,183.6 12',
  'Zhejiang 330106 30.27 120.15 115.236,60.186,122.224 8',
  'Jiangsu 320102 32.06 118.80 180.111,58.208,49.77 8',
  'Sichuan 510107 30.66 104.07 171.221,125.70,182.150 6',
  'Hubei 420106 30.59 114.30 27.17,59.172,111.175 5',
  'Shaanxi 610113 34.34 108.94 117.36,124.115,113.200 4',
  'Chongqing 500103 29.56 106.55 183.230,113.204,222.177 4',
  'Tianjin 120101 39.13 117.20 111.160,60.25,125.36 3',
  'Shandong 370202 36.07 120.38 123.132,27.210,150.255 6',
  'Fujian 350102 26.07 119.30 110.84,27.148,120.32 4',
  'Hunan 430102 28.23 112.94 175.6,113.240,222.240 4',
  'Henan 410105 34.75 113.63 171.8,61.158,115.60 5',
].map(parseRegion);

function parseRegion(line: string): Region {
  const [name = '', code = '', lat = '0', lon = '0', blocks = '', weight = '1'] = line.split(' ');
  return {
    name,
    code,
    lat: Number(lat),
    lon: Number(lon),
    ipBlocks: blocks.split(',').map((b) => {
      const [a = '1', c = '1'] = b.split('.');
      return [Number(a), Number(c)] as const;
    }),
    weight: Number(weight),
  };
}

const REGION_TABLE = new WeightedTable(REGIONS.map((r) => r.weight));

export type Role =
  | 'ordinary'
  | 'mule'
  | 'collector'
  | 'scammer'
  | 'sink'
  | 'card_tester'
  | 'shill'
  | 'launderer'
  | 'round_tripper';

/** The usual way a customer reaches the wallet. */
export interface Presence {
  deviceId: string;
  ip: string;
  geo: Geo;
  channel: 'app' | 'web' | 'api';
}

export interface SimCustomer {
  index: number;
  simId: string;
  role: Role;
  displayName: string;
  /** The legal name on the identity document (Chinese characters). */
  legalName: string;
  documentNumber: string;
  kycTier: KycTier;
  openedAt: number;
  region: Region;
  /** Where they go for the Spring Festival (the same as `region` for most). */
  hometown: Region;
  devices: string[];
  /** Home broadband /24 and the mobile network's /24, as "a.b.c". */
  homeNet: string;
  homeHost: number;
  mobileNet: string;
  bankAccountNumber: string;
  salaryDay: SalaryDay;
  salaryMinor: bigint;
  /** A personal typical payment, fen: this customer's amounts cluster around it. */
  typicalMinor: number;
  paymentsPerDay: number;
  transfersPerDay: number;
  loginsPerDay: number;
  /** Share of payments per category (same order as CATEGORIES). */
  categoryShares: number[];
  /** Favourite merchant per category (index), when there is one. */
  favourites: Array<number | undefined>;
  family: number[];
  friends: number[];
  saver: boolean;
  /** Shifts the hours of activity: night owls act later. */
  hourShift: number;
}

export interface SimMerchant {
  index: number;
  simId: string;
  name: string;
  category: Category;
  feeBps: number;
  openedAt: number;
  popularity: number;
  /** The device and address the merchant's back office refunds from. */
  presence: Omit<Presence, 'channel'>;
}

const SURNAMES = table(
  '王 Wang 7.1|李 Li 7|张 Zhang 6.7|刘 Liu 5.4|陈 Chen 4.5|杨 Yang 3.1|黄 Huang 2.2|赵 Zhao 2|吴 Wu 2|周 Zhou 1.9|' +
    '徐 Xu 1.5|孙 Sun 1.5|马 Ma 1.5|朱 Zhu 1.3|胡 Hu 1.3|郭 Guo 1.2|何 He 1.2|林 Lin 1.1|高 Gao 1.1|罗 Luo 0.9|' +
    '郑 Zheng 0.9|梁 Liang 0.9|谢 Xie 0.8|宋 Song 0.7|唐 Tang 0.7|韩 Han 0.6|冯 Feng 0.6|邓 Deng 0.6|曹 Cao 0.6|' +
    '彭 Peng 0.5|曾 Zeng 0.5|田 Tian 0.5|董 Dong 0.5|潘 Pan 0.4|袁 Yuan 0.4|蔡 Cai 0.4|蒋 Jiang 0.4|叶 Ye 0.4|' +
    '欧阳 Ouyang 0.1',
);
const GIVEN_NAMES = table(
  '伟 Wei|芳 Fang|娜 Na|敏 Min|静 Jing|丽 Li|强 Qiang|磊 Lei|军 Jun|洋 Yang|勇 Yong|艳 Yan|杰 Jie|娟 Juan|涛 Tao|' +
    '明 Ming|超 Chao|霞 Xia|平 Ping|刚 Gang|建华 Jianhua|志强 Zhiqiang|海燕 Haiyan|晓东 Xiaodong|俊杰 Junjie|' +
    '嘉怡 Jiayi|子轩 Zixuan|梓涵 Zihan|浩然 Haoran|一诺 Yinuo|欣怡 Xinyi|宇航 Yuhang|思远 Siyuan|雨桐 Yutong|' +
    '梦琪 Mengqi|文博 Wenbo|佳琪 Jiaqi|诗涵 Shihan|晨阳 Chenyang|雅静 Yajing|国庆 Guoqing|春梅 Chunmei|鹏 Peng|' +
    '婷 Ting|颖 Ying|斌 Bin|倩 Qian|亮 Liang|玲 Ling|辉 Hui',
);

/** Category scale of a person's typical ticket: coffee is cheaper than the weekly shop. */
const CATEGORY_SCALE: Record<Category, number> = {
  cafe: 0.6,
  restaurant: 1.1,
  grocery: 1.4,
  transport: 0.45,
  ecommerce: 2.4,
  utilities: 3,
};

/** Birth dates of document holders run over this many days from 1965-01-01. */
const BIRTH_DAYS = 14_600;
const BIRTH_EPOCH_MS = Date.UTC(1965, 0, 1);
/** Sequence numbers 100–997: never the simulated provider's 998 (timeout) and 999 (mismatch). */
const SEQUENCES = 898;
const DOCUMENT_SPACE = BIRTH_DAYS * SEQUENCES;
/** A prime that does not divide DOCUMENT_SPACE: k ↦ offset + k·STRIDE is one-to-one modulo it. */
const DOCUMENT_STRIDE = 1_000_003;

/**
 * Resident ID numbers (GB 11643, valid check character) that never repeat within a run:
 * the k-th holder of a region gets a point on a cycle that starts at an offset drawn from
 * the run tag, so another run (other options) most likely lands elsewhere on the cycle.
 */
export class DocumentNumbers {
  private readonly issued = new Map<string, number>();

  constructor(private readonly runTag: string) {}

  next(region: Region): string {
    const k = this.issued.get(region.code) ?? 0;
    this.issued.set(region.code, k + 1);
    const offset = hashString(`${this.runTag}:${region.code}`) % DOCUMENT_SPACE;
    const m = (offset + ((k * DOCUMENT_STRIDE) % DOCUMENT_SPACE)) % DOCUMENT_SPACE;
    const birth = new Date(BIRTH_EPOCH_MS + Math.floor(m / SEQUENCES) * DAY_MS);
    const sequence = String(100 + (m % SEQUENCES));
    const first17 = `${region.code}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${sequence}`;
    return `${first17}${residentIdCheckChar(first17)}`;
  }
}

export function pickRegion(random: Random, not?: Region): Region {
  for (;;) {
    const region = must(REGIONS[REGION_TABLE.draw(random)], 'region');
    if (region !== not) return region;
  }
}

export function deviceId(random: Random): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += random.int(0, 0xffff).toString(16).padStart(4, '0');
  return `dev-${hex}`;
}

export function netIn(random: Random, region: Region): string {
  const [a, b] = random.pick(region.ipBlocks);
  return `${a}.${b}.${random.int(0, 255)}`;
}

export function geoOf(random: Random, region: Region): Geo {
  const jitter = () => Math.round((random.next() - 0.5) * 10) / 100;
  return {
    country: 'CN',
    region: region.name,
    lat: round2(region.lat + jitter()),
    lon: round2(region.lon + jitter()),
  };
}

/** A customer's everyday presence: mostly the main phone, at home or on the mobile network. */
export function usualPresence(
  random: Random,
  c: SimCustomer,
  devices: readonly string[] = c.devices,
  region: Region = c.region,
): Presence {
  const device = devices.length > 1 && random.chance(0.15) ? devices[1] : devices[0];
  const travelling = region !== c.region;
  const atHome = !travelling && random.chance(0.65);
  return {
    deviceId: device ?? deviceId(random),
    ip: atHome
      ? `${c.homeNet}.${c.homeHost}`
      : travelling
        ? `${netIn(random, region)}.${random.int(2, 254)}`
        : `${c.mobileNet}.${random.int(2, 254)}`,
    geo: geoOf(random, region),
    channel: random.chance(0.92) ? 'app' : 'web',
  };
}

/** A presence nobody saw before: another phone, in another region. */
export function strangerPresence(random: Random, avoid: Region): Presence {
  const region = pickRegion(random, avoid);
  return {
    deviceId: deviceId(random),
    ip: `${netIn(random, region)}.${random.int(2, 254)}`,
    geo: geoOf(random, region),
    channel: 'app',
  };
}

export interface PersonDraft {
  role: Role;
  openedAt: number;
  kycTier: KycTier;
}

/** One person with identity, devices and habits; scenario roles reuse it with their own tier and dates. */
export function newPerson(
  random: Random,
  index: number,
  draft: PersonDraft,
  documents: DocumentNumbers,
  merchantTables: MerchantTables,
): SimCustomer {
  const surname = SURNAMES[random.weighted(SURNAMES.map((s) => s.weight))] ?? {
    zh: '王',
    pinyin: 'Wang',
    weight: 1,
  };
  const given = random.pick(GIVEN_NAMES);
  const legalName = `${surname.zh}${given.zh}`;
  const displayName = random.chance(0.3) ? `${given.pinyin} ${surname.pinyin}` : legalName;
  const region = pickRegion(random);
  const hometown = random.chance(0.35) ? pickRegion(random, region) : region;
  const devices = [deviceId(random)];
  if (random.chance(0.3)) devices.push(deviceId(random));
  const shares = CATEGORIES.map((c) => CATEGORY_PROFILES[c].share * random.lognormal(1, 0.5));
  const total = shares.reduce((a, b) => a + b, 0);
  const tier = draft.kycTier;
  // Income into the wallet per month: lognormal, smaller for unverified (student) wallets.
  const salaryYuan =
    tier === 0
      ? random.int(2, 8) * 100
      : Math.min(45_000, Math.round(random.lognormal(4_500, 0.6) / 100) * 100);
  return {
    index,
    simId: `c${String(index).padStart(6, '0')}`,
    role: draft.role,
    displayName,
    legalName,
    documentNumber: documents.next(hometown),
    kycTier: tier,
    openedAt: draft.openedAt,
    region,
    hometown,
    devices,
    homeNet: netIn(random, region),
    homeHost: random.int(2, 254),
    mobileNet: netIn(random, region),
    bankAccountNumber: cardNumber(random),
    salaryDay: random.pick<SalaryDay>([10, 10, 10, 15, 15, 'last', 'last', 'last']),
    salaryMinor: BigInt(Math.max(200, salaryYuan)) * 100n,
    typicalMinor: Math.max(800, Math.round(random.lognormal(4_200, 0.5))),
    paymentsPerDay: Math.min(6, random.lognormal(1.1, 0.6)),
    transfersPerDay: Math.min(1, random.lognormal(0.07, 0.7)),
    loginsPerDay: Math.min(1.5, random.lognormal(0.25, 0.5)),
    categoryShares: shares.map((s) => s / total),
    favourites: CATEGORIES.map((c) => merchantTables.draw(random, c)),
    family: [],
    friends: [],
    saver: random.chance(0.25),
    hourShift: random.chance(0.15) ? random.int(1, 3) : random.chance(0.1) ? -1 : 0,
  };
}

/** Popularity-weighted draws of merchants, per category. */
export class MerchantTables {
  private readonly byCategory = new Map<Category, { indexes: number[]; table: WeightedTable }>();

  constructor(private readonly merchants: readonly SimMerchant[]) {
    for (const category of CATEGORIES) {
      const list = merchants.filter((m) => m.category === category);
      this.byCategory.set(category, {
        indexes: list.map((m) => m.index),
        table: new WeightedTable(list.map((m) => m.popularity)),
      });
    }
  }

  /** A merchant of the category, or of any category when the category has none. */
  draw(random: Random, category: Category): number | undefined {
    const t = this.byCategory.get(category);
    if (t && t.indexes.length > 0) return t.indexes[t.table.draw(random)];
    return this.merchants.length > 0 ? random.int(0, this.merchants.length - 1) : undefined;
  }
}

/** Ordinary merchants: names, categories, fees and popularity as the demo data set draws them. */
export function buildSimMerchants(random: Random, count: number, start: number): SimMerchant[] {
  return buildMerchants(random.fork('merchants'), count).map((m) => {
    const region = pickRegion(random);
    return {
      index: m.index,
      simId: `m${String(m.index).padStart(5, '0')}`,
      name: m.name,
      category: m.category,
      feeBps: m.feeBps,
      openedAt: start - random.int(60, 3_000) * DAY_MS - random.int(0, DAY_MS - 1),
      popularity: m.popularity,
      presence: {
        deviceId: deviceId(random),
        ip: `${netIn(random, region)}.${random.int(2, 254)}`,
        geo: geoOf(random, region),
      },
    };
  });
}

/**
 * Ordinary customers: most fully verified, some at the basic level, a few not at all;
 * in families (shared surname not modelled) and circles of friends nearby in the list.
 */
export function buildSimCustomers(
  random: Random,
  count: number,
  start: number,
  documents: DocumentNumbers,
  merchantTables: MerchantTables,
): SimCustomer[] {
  const customers: SimCustomer[] = [];
  for (let index = 0; index < count; index++) {
    const r = random.fork(index);
    const draw = r.next();
    const kycTier: KycTier = draw < 0.03 ? 0 : draw < 0.2 ? 1 : 2;
    const ageDays = Math.min(3_500, Math.round(r.lognormal(500, 0.9)) + 30);
    customers.push(
      newPerson(
        r,
        index,
        { role: 'ordinary', openedAt: start - ageDays * DAY_MS - r.int(0, DAY_MS - 1), kycTier },
        documents,
        merchantTables,
      ),
    );
  }
  const links = random.fork('links');
  for (let i = 0; i < count; ) {
    const size = Math.min(count - i, links.pick([1, 1, 1, 2, 2, 3, 3, 4]));
    for (let a = i; a < i + size; a++) {
      for (let b = i; b < i + size; b++) if (a !== b) must(customers[a], 'family member').family.push(b);
    }
    i += size;
  }
  for (const c of customers) {
    const want = links.int(1, 5);
    for (let k = 0; k < want && count > 2; k++) {
      const other = links.chance(0.8)
        ? (c.index + links.int(-50, 50) + count) % count
        : links.int(0, count - 1);
      const friend = customers[other];
      if (!friend || other === c.index || c.family.includes(other) || c.friends.includes(other)) continue;
      if (friend.friends.length >= 12) continue;
      c.friends.push(other);
      friend.friends.push(c.index);
    }
  }
  return customers;
}

/** Debit-card numbers of the kind Chinese banks issue (UnionPay 62…), Luhn-valid. */
export function cardNumber(random: Random): string {
  let digits = random.pick(['622202', '621700', '622848', '621483', '622588', '621226']);
  while (digits.length < 18) digits += String(random.int(0, 9));
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

/** A payment amount in fen around the customer's typical ticket, with the endings prices have. */
export function paymentMinor(random: Random, c: SimCustomer, category: Category): number {
  const around = c.typicalMinor * CATEGORY_SCALE[category] * random.lognormal(1, 0.55);
  switch (category) {
    case 'cafe':
      return Math.max(800, Math.round(around / 50) * 50);
    case 'transport':
      return random.chance(0.6) ? random.int(2, 7) * 100 : Math.max(300, Math.round(around / 10) * 10);
    case 'ecommerce':
      return Math.max(990, Math.round(around / 100) * 100 - (random.chance(0.5) ? 10 : 0));
    case 'utilities':
      return random.chance(0.5)
        ? random.pick([5_000, 10_000, 20_000])
        : Math.max(1_000, Math.round(around / 100) * 100);
    case 'restaurant':
      return Math.max(1_000, Math.round(around / 10) * 10);
    case 'grocery':
      return Math.max(200, Math.round(around));
    default: {
      const exhaustive: never = category;
      throw new Error(`unknown category ${String(exhaustive)}`);
    }
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function table(text: string): Array<{ zh: string; pinyin: string; weight: number }> {
  return text.split('|').map((entry) => {
    const [zh = '王', pinyin = 'Wang', weight = '1'] = entry.split(' ');
    return { zh, pinyin, weight: Number(weight) };
  });
}
