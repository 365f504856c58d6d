import { randomFillSync } from 'node:crypto';

/** Type prefixes of every id Bulwark issues; ids sort by creation time within a prefix. */
export type IdPrefix =
  | 'acct'
  | 'txn'
  | 'hold'
  | 'dec'
  | 'cus'
  | 'mer'
  | 'top'
  | 'wdr'
  | 'evt'
  | 'cb'
  | 'aud'
  | 'ses'
  | 'rtk'
  | 'mfa'
  | 'chl'
  | 'ott'
  | 'kyc'
  | 'csn'
  | 'stf'
  | 'cli'
  | 'apr'
  | 'crd'
  | 'mdl'
  | 'mev'
  | 'mdr'
  // cases
  | 'alt'
  | 'cas'
  | 'att'
  | 'cmp'
  // support: disputes, feedback
  | 'dsp'
  | 'fbk'
  // notify
  | 'ntf'
  | 'whk'
  | 'dlv'
  | 'eml'
  // aml: screening lists and their versions
  | 'scl'
  | 'slv';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
let lastMs = -1;
const lastRandom = new Uint8Array(10);

/** 80 random bits from a pooled buffer: one system call per 400 ids instead of one per id. */
function fillRandom(target: Uint8Array): void {
  if (poolOffset + target.length > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  target.set(pool.subarray(poolOffset, poolOffset + target.length));
  poolOffset += target.length;
}

/**
 * A ULID in lower-case Crockford base 32: 48 bits of milliseconds then 80 random bits.
 * Within one millisecond the random part is incremented, so ids from one process sort
 * in the order they were made.
 */
function nextUlid(nowMs: number): string {
  if (nowMs <= lastMs) {
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      const byte = lastRandom[i] ?? 0;
      if (byte < 255) {
        lastRandom[i] = byte + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    lastMs = nowMs;
    fillRandom(lastRandom);
  }
  let out = '';
  let t = lastMs;
  const time: string[] = new Array(10);
  for (let i = 9; i >= 0; i--) {
    time[i] = ALPHABET[t % 32] ?? '0';
    t = Math.floor(t / 32);
  }
  out = time.join('');
  // 80 bits = 16 characters of 5 bits.
  let acc = 0;
  let bits = 0;
  for (const byte of lastRandom) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid(Date.now())}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[0-9a-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
