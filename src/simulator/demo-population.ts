import { type DocumentType, residentIdCheckChar } from '../identity/documents.ts';
import type { KycTier } from '../identity/tiers.ts';
import type { Currency } from '../platform/money.ts';
import type { Random } from './random.ts';

/**
 * Who lives in the demo: customers with names, incomes, habits, families and friends,
 * and merchants with names, categories, fees and popularity. Everything is drawn from
 * the seeded generator, so a seed always yields the same population.
 */

export type Category = 'cafe' | 'restaurant' | 'grocery' | 'transport' | 'ecommerce' | 'utilities';

export const CATEGORIES: readonly Category[] = [
  'cafe',
  'restaurant',
  'grocery',
  'transport',
  'ecommerce',
  'utilities',
];

export interface DemoCustomer {
  index: number;
  displayName: string;
  currencies: Currency[];
  /** Expected payments per day; lognormal across customers, so a few are heavy users. */
  paymentsPerDay: number;
  transfersPerDay: number;
  /** Salary-like top-up: every `topupEveryDays`, first on day `topupPhaseDays`, this many CNY fen. */
  topupEveryDays: number;
  topupPhaseDays: number;
  topupMinor: bigint;
  /** Savers top up more than they spend and withdraw the surplus now and then. */
  saver: boolean;
  /** Affluent customers can afford the large movements that risk control holds for review. */
  affluent: boolean;
  monthlySpendMinor: bigint;
  family: number[];
  friends: number[];
  /** A favourite merchant per category: most everyday payments go to the same few places. */
  favourites: Map<Category, number>;
  bankAccountNumber: string;
  /** Real-name verification level: most customers are fully verified, some basic, a few not at all. */
  kycTier: KycTier;
  /** The identity a verified customer was checked with (unused at tier 0). */
  identity: { name: string; documentType: DocumentType; documentNumber: string };
}

export interface DemoMerchant {
  index: number;
  name: string;
  category: Category;
  feeBps: number;
  currencies: Currency[];
  /** Zipf weight: a few merchants take a large share of payments. */
  popularity: number;
}

interface CategoryProfile {
  share: number;
  /** Relative activity per local hour 0–23. */
  hours: readonly number[];
  weekend: number;
  feeBps: readonly [number, number];
  /** Chance that a payment here is refunded later, and after how many days at most. */
  refundChance: number;
  refundDaysMax: number;
}

export const CATEGORY_PROFILES: Record<Category, CategoryProfile> = {
  cafe: {
    share: 0.18,
    hours: [
      0, 0, 0, 0, 0, 0, 0.1, 0.6, 1.6, 1.8, 1.2, 0.9, 0.8, 1.1, 1.4, 1.3, 1, 0.7, 0.4, 0.3, 0.2, 0.1, 0.05, 0,
    ],
    weekend: 1.1,
    feeBps: [55, 65],
    refundChance: 0.004,
    refundDaysMax: 1,
  },
  restaurant: {
    share: 0.24,
    hours: [
      0.1, 0.05, 0, 0, 0, 0, 0.1, 0.4, 0.5, 0.3, 0.4, 1.6, 2.2, 1.2, 0.4, 0.3, 0.4, 1, 1.9, 1.8, 1, 0.6, 0.4,
      0.2,
    ],
    weekend: 1.3,
    feeBps: [55, 70],
    refundChance: 0.005,
    refundDaysMax: 2,
  },
  grocery: {
    share: 0.22,
    hours: [
      0.05, 0, 0, 0, 0, 0, 0.2, 0.5, 0.6, 0.8, 0.9, 0.9, 0.8, 0.7, 0.7, 0.8, 1, 1.4, 1.7, 1.6, 1.2, 0.8, 0.4,
      0.15,
    ],
    weekend: 1.5,
    feeBps: [35, 45],
    refundChance: 0.01,
    refundDaysMax: 3,
  },
  transport: {
    share: 0.18,
    hours: [
      0.2, 0.1, 0.05, 0.02, 0.02, 0.1, 0.6, 1.9, 2, 0.9, 0.5, 0.5, 0.6, 0.5, 0.5, 0.6, 0.9, 1.8, 2, 1.2, 0.8,
      0.7, 0.6, 0.4,
    ],
    weekend: 0.6,
    feeBps: [30, 35],
    refundChance: 0.003,
    refundDaysMax: 2,
  },
  ecommerce: {
    share: 0.13,
    hours: [
      0.5, 0.3, 0.15, 0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.6, 0.7, 0.8, 1.1, 1, 0.8, 0.8, 0.8, 0.8, 0.9, 1.1,
      1.5, 1.8, 1.7, 1,
    ],
    weekend: 1.3,
    feeBps: [60, 100],
    refundChance: 0.06,
    refundDaysMax: 12,
  },
  utilities: {
    share: 0.05,
    hours: [
      0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.6, 1, 1.1, 1.1, 0.9, 0.9, 1, 1, 0.9, 0.8, 0.8, 0.9, 0.8, 0.6, 0.3, 0.1,
    ],
    weekend: 0.7,
    feeBps: [30, 30],
    refundChance: 0.002,
    refundDaysMax: 3,
  },
};

/** Transfers happen mostly in the evening and at weekends (splitting bills, family). */
export const TRANSFER_HOURS: readonly number[] = [
  0.2, 0.1, 0, 0, 0, 0, 0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 1.2, 1, 0.8, 0.8, 0.8, 0.9, 1.3, 1.6, 1.8, 1.6, 1.1,
  0.5,
];
export const TRANSFER_WEEKEND = 1.4;
/** People move money to and from their bank in office hours and the evening. */
export const FUNDING_HOURS: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0.1, 0.4, 0.8, 1.4, 1.5, 1.3, 1.1, 1, 1, 1, 0.9, 0.8, 0.9, 1.1, 1.2, 1, 0.6, 0.2,
];

/** Chinese surnames with their pinyin and relative frequency (per cent of the population). */
const SURNAMES: ReadonlyArray<readonly [string, string, number]> = words(
  '王 Wang 7.1|李 Li 7.0|张 Zhang 6.7|刘 Liu 5.4|陈 Chen 4.5|杨 Yang 3.1|黄 Huang 2.2|赵 Zhao 2.0|吴 Wu 2.0|' +
    '周 Zhou 1.9|徐 Xu 1.5|孙 Sun 1.5|马 Ma 1.5|朱 Zhu 1.3|胡 Hu 1.3|郭 Guo 1.2|何 He 1.2|林 Lin 1.1|高 Gao 1.1|' +
    '罗 Luo 0.9|郑 Zheng 0.9|梁 Liang 0.9|谢 Xie 0.8|宋 Song 0.7|唐 Tang 0.7|许 Xu 0.6|韩 Han 0.6|冯 Feng 0.6|' +
    '邓 Deng 0.6|曹 Cao 0.6|彭 Peng 0.5|曾 Zeng 0.5|肖 Xiao 0.5|田 Tian 0.5|董 Dong 0.5|潘 Pan 0.4|袁 Yuan 0.4|' +
    '蔡 Cai 0.4|蒋 Jiang 0.4|余 Yu 0.4|叶 Ye 0.4|程 Cheng 0.4|苏 Su 0.3|吕 Lü 0.3|沈 Shen 0.3|钟 Zhong 0.3|' +
    '陆 Lu 0.3|欧阳 Ouyang 0.1|司马 Sima 0.02',
).map((entry) => {
  const [hanzi = '王', pinyin = 'Wang', share = '1'] = entry.split(' ');
  return [hanzi, pinyin, Number(share)] as const;
});

const GIVEN_NAMES = words(
  '伟|芳|娜|敏|静|丽|强|磊|军|洋|勇|艳|杰|娟|涛|明|超|霞|平|刚|秀英|桂英|建华|志强|海燕|晓东|俊杰|嘉怡|子轩|梓涵|' +
    '浩然|一诺|欣怡|宇航|思远|雨桐|梦琪|文博|佳琪|诗涵|天佑|若曦|博文|晨阳|雅静|国庆|建国|丽华|春梅|晓燕|鹏|鑫|婷|颖|' +
    '琳|斌|健|倩|晶|亮|玲|辉',
);

const WESTERN_FIRST = words(
  'Kevin|Grace|Emily|Jason|Vivian|Eric|Cindy|David|Amy|Michael|Jenny|Tony|Sophie|Daniel|Iris|Leo|Olivia|' +
    'Frank|Helen|Ryan|Chloe|Sam|Winnie|Oscar|Hannah|Peter|Zoe|Alex|Lucy|Ben',
);

const WESTERN_SURNAMES = words(
  "Smith|Johnson|Brown|Taylor|Wilson|Carter|Müller|Martin|Dubois|Rossi|Kim|Tanaka|Nguyen|Patel|García|O'Brien|" +
    'Schmidt|Walker|Evans|Clarke',
);

const MERCHANT_NAMES: Record<Category, { zh: readonly string[]; en: readonly string[] }> = {
  cafe: {
    zh: words('晨光咖啡|拾光咖啡馆|慢岛咖啡|南屿咖啡|青柠咖啡|山茶咖啡|半日闲咖啡|梧桐里咖啡'),
    en: words(
      'Harbour Bean Coffee|Daily Grind Café|Copper Kettle Café|Blue Door Coffee|Slow Drip Coffee Co.',
    ),
  },
  restaurant: {
    zh: words(
      '老街面馆|川味小厨|鼎香小笼包|湘里人家|粤来粤好茶餐厅|东北饺子馆|外婆家常菜|江南小馆|蜀香麻辣烫|烤鸭坊',
    ),
    en: words('Golden Dragon Kitchen|Noodle Bar 88|Dim Sum House|Green Bowl Salads|Pepper & Salt Bistro'),
  },
  grocery: {
    zh: words('鲜丰超市|惠民生鲜|家乐便利店|优品超市|百佳鲜果|邻里便利|万家福超市|果多多水果店|绿源生鲜'),
    en: words('FreshMart|Green Leaf Market|Corner Store 24|Harvest Grocer|Daily Fresh'),
  },
  transport: {
    zh: words('城市地铁|公交一卡通|速达出行|安心打车|城际快巴|高速ETC'),
    en: words('Metro Pay|CityRide Taxi|QuickCab|Airport Express'),
  },
  ecommerce: {
    zh: words('优选商城|云购网|惠买买|拼好物|品质生活馆|数码之家|书香网|潮流衣橱|家居优品'),
    en: words('ShopNow Online|Gadget Hub|BookNook|StyleBox|HomeGoods Direct'),
  },
  utilities: {
    zh: words('城市燃气|市电力公司|自来水公司|宽带通|移动话费充值|物业服务中心'),
    en: words('City Power & Light|AquaWorks Water|FiberNet Broadband|TeleMobile Top-up'),
  },
};

const DISTRICTS_ZH = words('静安|徐汇|浦东|朝阳|海淀|天河|南山|福田|西湖|武侯|鼓楼|江北');
const DISTRICTS_EN = words('Central|Kowloon Bay|Pudong|Wan Chai|Tsim Sha Tsui|Causeway Bay|Sha Tin');
const CITIES_ZH = words('上海|北京|广州|深圳|杭州|成都|南京|武汉|西安|苏州');
const CITIES_EN = words('Shanghai|Beijing|Shenzhen|Hong Kong|Hangzhou|Chengdu');

/** Debit-card prefixes of the kind Chinese banks issue (UnionPay 62…, a few Visa 4…). */
const CARD_PREFIXES = ['622202', '621700', '622848', '621483', '622588', '621226', '436742'];

export function buildMerchants(random: Random, count: number): DemoMerchant[] {
  const ranks = shuffledIndexes(random, count);
  const used = new Set<string>();
  const merchants: DemoMerchant[] = [];
  for (let index = 0; index < count; index++) {
    // The first merchants cover every category, so even a tiny demo has each kind.
    const category =
      index < CATEGORIES.length
        ? (CATEGORIES[index] ?? 'grocery')
        : (CATEGORIES[random.weighted(CATEGORIES.map((c) => CATEGORY_PROFILES[c].share))] ?? 'grocery');
    const profile = CATEGORY_PROFILES[category];
    const currencies: Currency[] = ['CNY'];
    // Cross-border shops and some cafés and restaurants (Hong Kong branches) take foreign wallets.
    const foreign =
      category === 'ecommerce' ? 0.5 : category === 'cafe' || category === 'restaurant' ? 0.15 : 0;
    if (index === 4 || random.chance(foreign)) currencies.push('HKD');
    if (index === 4 || (category === 'ecommerce' && random.chance(0.4))) currencies.push('USD');
    merchants.push({
      index,
      name: merchantName(random, category, used),
      category,
      feeBps: random.int(profile.feeBps[0], profile.feeBps[1]),
      currencies,
      popularity: 1 / (1 + (ranks[index] ?? 0)) ** 1.1,
    });
  }
  return merchants;
}

function merchantName(random: Random, category: Category, used: Set<string>): string {
  const names = MERCHANT_NAMES[category];
  // Shops and restaurants open branches in districts; utilities and online shops serve cities.
  const local = category === 'cafe' || category === 'restaurant' || category === 'grocery';
  for (let attempt = 0; attempt < 50; attempt++) {
    const english = random.chance(0.3);
    const base = random.pick(english ? names.en : names.zh);
    let name = base;
    if (used.has(name)) {
      if (english) name = `${base} ${random.pick(local ? DISTRICTS_EN : CITIES_EN)}`;
      else name = local ? `${base}（${random.pick(DISTRICTS_ZH)}店）` : `${base}·${random.pick(CITIES_ZH)}`;
    }
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
  const name = `${random.pick(names.zh)} ${used.size + 1}号店`;
  used.add(name);
  return name;
}

/** Builds customers in family groups (shared surname) with friends mostly in their own circle. */
export function buildCustomers(random: Random, count: number, merchants: DemoMerchant[]): DemoCustomer[] {
  // Its own stream: adding identities did not change anyone's habits or amounts.
  const kyc = random.fork('kyc');
  const customers: DemoCustomer[] = [];
  const surnameWeights = SURNAMES.map((s) => s[2]);
  const byCategory = new Map(CATEGORIES.map((c) => [c, merchants.filter((m) => m.category === c)]));
  while (customers.length < count) {
    const size = Math.min(count - customers.length, [1, 1, 1, 1, 2, 2, 2, 3, 3, 4][random.int(0, 9)] ?? 1);
    const surname = SURNAMES[random.weighted(surnameWeights)] ?? ['王', 'Wang', 1];
    const members: number[] = [];
    for (let m = 0; m < size; m++) members.push(customers.length + m);
    for (let m = 0; m < size; m++) {
      const index = customers.length;
      customers.push(newCustomer(random, index, surname, members, byCategory));
    }
  }
  addFriends(random, customers);
  // Parents send an allowance: fold it into their spending so their top-ups cover it.
  for (const c of customers) {
    if (isFamilyHead(c)) c.monthlySpendMinor += BigInt(c.family.length) * ALLOWANCE_MINOR;
  }
  for (const c of customers) c.topupMinor = topupFor(random, c);
  assignIdentities(kyc, customers);
  return customers;
}

/** Region codes (区划代码) of districts in the demo's cities, for resident ID numbers. */
const REGION_CODES = [
  '110101',
  '110108',
  '310104',
  '310115',
  '440106',
  '440305',
  '330106',
  '510107',
  '320106',
  '420106',
  '610113',
  '320505',
];

/**
 * Verification levels and identity documents. Affluent customers and family heads (who
 * move the larger sums) are fully verified; of the others about 4 % never verified and
 * 16 % stopped at the basic level. Chinese and pinyin names hold a resident ID, the
 * others a passport; every number is valid and different.
 */
function assignIdentities(random: Random, customers: DemoCustomer[]): void {
  const used = new Set<string>();
  for (const c of customers) {
    const draw = random.next();
    c.kycTier = c.affluent || isFamilyHead(c) ? 2 : draw < 0.04 ? 0 : draw < 0.2 ? 1 : 2;
    const surname = c.displayName.split(' ').at(-1) ?? '';
    const chinese = !/^[A-Za-z]/.test(c.displayName) || SURNAMES.some((s) => s[1] === surname);
    for (;;) {
      const documentNumber = chinese ? residentNumber(random) : passportNumber(random);
      if (used.has(documentNumber)) continue;
      used.add(documentNumber);
      c.identity = {
        name: c.displayName,
        documentType: chinese ? 'CN_RESIDENT_ID' : 'PASSPORT',
        documentNumber,
      };
      break;
    }
  }
}

/** A valid resident ID: region, a birth date in 1960–2004, a sequence (never the simulated provider's 998/999). */
function residentNumber(random: Random): string {
  const birth = new Date(Date.UTC(1960, 0, 1) + random.int(0, 45 * 365) * 86_400_000);
  const date = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `${random.pick(REGION_CODES)}${date}${String(random.int(1, 997)).padStart(3, '0')}`;
  return `${first17}${residentIdCheckChar(first17)}`;
}

/** A passport number of two letters and seven digits. */
function passportNumber(random: Random): string {
  const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  return `${random.pick([...letters])}${random.pick([...letters])}${String(random.int(1_000_000, 9_999_999))}`;
}

/** What a family head sends each other member per month, in CNY fen. */
export const ALLOWANCE_MINOR = 100_000n;

/** The first member of a family of three or more pays the others a monthly allowance. */
export function isFamilyHead(c: DemoCustomer): boolean {
  return c.family.length >= 2 && c.family.every((m) => m > c.index);
}

function newCustomer(
  random: Random,
  index: number,
  surname: readonly [string, string, number],
  members: number[],
  byCategory: Map<Category, DemoMerchant[]>,
): DemoCustomer {
  const english = random.chance(0.25);
  const displayName = english
    ? `${random.pick(WESTERN_FIRST)} ${random.chance(0.7) ? surname[1] : random.pick(WESTERN_SURNAMES)}`
    : `${surname[0]}${random.pick(GIVEN_NAMES)}`;
  const currencies: Currency[] = ['CNY'];
  const foreign = random.next();
  if (foreign < 0.06) currencies.push('HKD');
  else if (foreign < 0.1) currencies.push('USD');
  const paymentsPerDay = Math.min(2.5, random.lognormal(0.085, 0.8));
  const transfersPerDay = Math.min(0.5, random.lognormal(0.014, 0.7));
  const affluent = index % 40 === 7 || random.chance(0.01);
  // Average payment is about 70 CNY, average transfer about 230 CNY.
  const monthlySpendMinor = BigInt(Math.round((paymentsPerDay * 30 * 70 + transfersPerDay * 30 * 230) * 100));
  const favourites = new Map<Category, number>();
  for (const [category, candidates] of byCategory) {
    if (candidates.length === 0) continue;
    const favourite = candidates[random.weighted(candidates.map((m) => m.popularity))];
    if (favourite) favourites.set(category, favourite.index);
  }
  // Most salaries are monthly (月薪); some are paid every two or three weeks.
  const topupEveryDays = [14, 21, 28][random.weighted([0.2, 0.15, 0.65])] ?? 28;
  return {
    index,
    displayName,
    currencies,
    paymentsPerDay,
    transfersPerDay,
    topupEveryDays,
    topupPhaseDays: random.int(0, topupEveryDays - 1),
    topupMinor: 0n,
    saver: affluent || random.chance(0.3),
    affluent,
    monthlySpendMinor,
    family: members.filter((m) => m !== index),
    friends: [],
    favourites,
    bankAccountNumber: cardNumber(random),
    kycTier: 0,
    identity: { name: displayName, documentType: 'CN_RESIDENT_ID', documentNumber: '' },
  };
}

function topupFor(random: Random, c: DemoCustomer): bigint {
  if (c.affluent) return BigInt(random.int(300, 460)) * 10_000n;
  const margin = c.saver ? 1.5 + random.next() * 1.5 : 1.1 + random.next() * 0.5;
  const perTopup = (Number(c.monthlySpendMinor) * margin * c.topupEveryDays) / 30;
  // People top up round amounts: whole hundreds of yuan, at least 500.
  const hundreds = Math.max(5, Math.round(perTopup / 10_000));
  return BigInt(Math.min(hundreds, 450)) * 10_000n;
}

function addFriends(random: Random, customers: DemoCustomer[]): void {
  const n = customers.length;
  if (n < 3) return;
  for (const c of customers) {
    const want = random.int(2, 5);
    for (let k = 0; k < want && c.friends.length < 8; k++) {
      // Most friends live nearby in the list (a social circle); some are anywhere.
      const other = random.chance(0.75) ? (c.index + random.int(-40, 40) + n) % n : random.int(0, n - 1);
      const friend = customers[other];
      if (!friend || other === c.index || c.family.includes(other) || c.friends.includes(other)) continue;
      if (friend.friends.length >= 10) continue;
      c.friends.push(other);
      friend.friends.push(c.index);
    }
  }
}

function cardNumber(random: Random): string {
  let digits = random.pick(CARD_PREFIXES);
  const length = random.chance(0.7) ? 19 : 16;
  while (digits.length < length - 1) digits += String(random.int(0, 9));
  return digits + luhnDigit(digits);
}

function luhnDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function shuffledIndexes(random: Random, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    const x = a[i] ?? 0;
    a[i] = a[j] ?? 0;
    a[j] = x;
  }
  return a;
}

/**
 * A payment amount in CNY fen for a category: lognormal around a typical ticket, with
 * the price endings people actually see (round coffee prices, ¥x.90 online, fixed fares).
 */
export function paymentAmountMinor(random: Random, category: Category): number {
  switch (category) {
    case 'cafe':
      return Math.round(random.lognormal(30, 0.3)) * 100 + (random.chance(0.2) ? 50 : 0);
    case 'restaurant':
      return Math.round(random.lognormal(48, 0.55) * 10) * 10;
    case 'grocery':
      return Math.round(random.lognormal(62, 0.75) * 100);
    case 'transport':
      return random.chance(0.7) ? random.int(2, 7) * 100 : Math.round(random.lognormal(28, 0.5) * 10) * 10;
    case 'ecommerce': {
      const yuan = Math.max(9, Math.round(random.lognormal(110, 1)));
      return yuan * 100 - (random.chance(0.4) ? 10 : random.chance(0.3) ? 1 : 0);
    }
    case 'utilities':
      return random.chance(0.5)
        ? random.pick([50, 100, 200]) * 100
        : Math.round(random.lognormal(160, 0.5) * 100);
    default: {
      const exhaustive: never = category;
      throw new Error(`unknown category ${String(exhaustive)}`);
    }
  }
}

/** A P2P amount in CNY fen: bill splits, round sums, and the lucky numbers of red packets (红包). */
export function transferAmountMinor(random: Random, family: boolean): number {
  if (family) return random.pick([200, 300, 500, 800, 1000, 1500, 2000, 3000]) * 100;
  const r = random.next();
  if (r < 0.12) return random.pick([666, 888, 1680, 6666, 8888, 16_600, 18_800, 52_000]);
  if (r < 0.45) return random.pick([50, 100, 100, 200, 200, 300, 500]) * 100;
  return Math.max(500, Math.round(random.lognormal(85, 0.7) * 100));
}

export const TRANSFER_MEMOS_ZH = words('饭钱|AA聚餐|房租|红包|电影票|打车费|还你的钱|奶茶|生日快乐');
export const TRANSFER_MEMOS_EN = words('dinner|rent share|movie tickets|thanks!|birthday gift|taxi');
export const FAMILY_MEMOS = words('生活费|零花钱|家用|allowance');
export const REFUND_REASONS = words('退货退款|商品缺货|订单取消|duplicate charge|item returned');

/** Moves an amount off the endings the simulated bank treats specially (…13 declined, …14 silent). */
export function ordinaryMinor(amount: number): number {
  const end = amount % 100;
  return end === 13 || end === 14 ? amount + 3 : amount;
}

/** A list written as one "|"-separated string, so long name tables stay compact. */
function words(text: string): string[] {
  return text.split('|');
}
