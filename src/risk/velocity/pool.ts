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
      const off = reused & OFFSET_MASK;
      this.chunk(reused).fill(0, off, off + size);
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
