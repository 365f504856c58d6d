/**
 * Blocks of doubles carved out of large shared Float64Arrays, handed out and taken back by
 * the memory velocity store. Its series hold block addresses (plain numbers) rather than
 * typed arrays of their own: with hundreds of thousands of series the garbage collector
 * then has almost nothing to trace, and a ring that grows reuses a freed block instead of
 * leaving an array behind for the collector (measured: a third of the time went to that).
 *
 * An address is `chunk × CHUNK + offset`. Blocks up to a quarter chunk share chunks (free
 * lists per exact size, the few sizes the store uses); a larger block gets a chunk of its
 * own, at offset 0, released whole.
 */

export const CHUNK_BITS = 20;
/** Doubles per shared chunk (8 MiB). */
export const CHUNK = 1 << CHUNK_BITS;
export const OFFSET_MASK = CHUNK - 1;
const LARGE = CHUNK >>> 2;
const EMPTY = new Float64Array(0);

/**
 * Up to this many doubles a plain loop beats the typed-array builtins, whose call costs
 * more than a short copy (the store's blocks are mostly a few records).
 */
const SHORT = 64;

/** Zeroes `n` doubles of `a` from `at`. */
export function zero(a: Float64Array, at: number, n: number): void {
  if (n > SHORT) a.fill(0, at, at + n);
  else for (let i = at, end = at + n; i < end; i++) a[i] = 0;
}

/** Copies `n` doubles from `a` at `from` to `b` at `to`; the same array may overlap either way. */
export function copy(a: Float64Array, from: number, b: Float64Array, to: number, n: number): void {
  if (n > SHORT) {
    if (a === b) a.copyWithin(to, from, from + n);
    else b.set(a.subarray(from, from + n), to);
  } else if (a === b && to > from) {
    for (let i = n - 1; i >= 0; i--) b[to + i] = a[from + i] ?? 0;
  } else {
    for (let i = 0; i < n; i++) b[to + i] = a[from + i] ?? 0;
  }
}

export class Pool {
  readonly chunks: Float64Array[] = [];
  /** Doubles handed out and not yet released. */
  used = 0;
  /** Doubles reserved from the system (chunks and large blocks). */
  reserved = 0;
  private top = CHUNK;
  private current = -1;
  private readonly free = new Map<number, number[]>();
  private readonly freeChunks: number[] = [];

  /** A zeroed block of `size` doubles. */
  alloc(size: number): number {
    this.used += size;
    if (size > LARGE) {
      const index = this.newChunk(size);
      return index * CHUNK;
    }
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) {
      zero(this.chunk(reused), reused & OFFSET_MASK, size);
      return reused;
    }
    if (this.top + size > CHUNK) {
      this.current = this.newChunk(CHUNK);
      this.top = 0;
    }
    const addr = this.current * CHUNK + this.top;
    this.top += size;
    return addr;
  }

  release(addr: number, size: number): void {
    this.used -= size;
    if (size > LARGE) {
      const index = Math.floor(addr / CHUNK);
      this.reserved -= this.chunks[index]?.length ?? 0;
      this.chunks[index] = EMPTY;
      this.freeChunks.push(index);
      return;
    }
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    list.push(addr);
  }

  /** The array a block lives in; index it from `addr & OFFSET_MASK`. */
  chunk(addr: number): Float64Array {
    return this.chunks[Math.floor(addr / CHUNK)] ?? EMPTY;
  }

  private newChunk(length: number): number {
    const array = new Float64Array(length);
    this.reserved += length;
    const index = this.freeChunks.pop();
    if (index !== undefined) {
      this.chunks[index] = array;
      return index;
    }
    this.chunks.push(array);
    return this.chunks.length - 1;
  }
}
