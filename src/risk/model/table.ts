import { open, readFile, rename } from 'node:fs/promises';
import { FeatureComputer } from '../features/compute.ts';
import { MemoryProfileSource } from '../features/profile.ts';
import type { FeatureEvent } from '../features/velocity-events.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { evaluateSet, ruleInputs } from '../rules/evaluate.ts';
import { ACTION_SEVERITY } from '../rules/model.ts';
import { MemoryVelocityStore } from '../velocity/memory-store.ts';
import type { LabelledTx } from './history.ts';
import { DEFAULT_MODEL_FEATURES, vectorize } from './vector.ts';

/**
 * A labelled history turned into what the model learns from and is judged on: every
 * transaction's features as the live engine would have computed them at that moment.
 *
 * The history is replayed in time order through the engine's own `FeatureComputer` over
 * fresh in-memory stores. A transaction's label reaches the feature stores only when it
 * became known (the label's own arrival time when the file has one, else the event time
 * plus the label delay), exactly as a live label arrives through the API. So the
 * label features of a row (`merchant.fraudLabels_30d`, …) can only count labels that had
 * arrived before that row, and nothing the model reads can leak a label early.
 */

export interface FeatureTable {
  /** Model feature names, the order of `columns`. */
  readonly features: readonly string[];
  /** One column per feature, one value per transaction; `NaN` is missing. */
  readonly columns: Float64Array[];
  readonly labels: Uint8Array;
  readonly atMs: Float64Array;
  /** When each label became known: a training set built at time T may only use rows known by T. */
  readonly labelKnownAtMs: Float64Array;
  /** Dense payer index per row (the entity of card-precision@k). */
  readonly payer: Int32Array;
  readonly payerIds: readonly string[];
  readonly amountMinor: Float64Array;
  /** The active rule set alone on the same features: its score and its outcome's severity (0 ALLOW … 4). */
  readonly ruleScore: Float64Array;
  readonly ruleSeverity: Uint8Array;
  readonly rows: number;
}

export interface TableOptions {
  /** Model features to keep (default: DEFAULT_MODEL_FEATURES). */
  features?: readonly string[];
  /** Delay after which a label without its own arrival time becomes known. */
  labelDelayMs: number;
  /** Rules to evaluate on every row (for "rules alone" and "rules + model"); none when absent. */
  rules?: CompiledRuleSet | undefined;
  /** The event type the history's transactions are decided as (default payment: payer → merchant). */
  eventType?: 'payment' | 'transfer';
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal | undefined;
}

/** Dense indexes of the payers of a table, in order of first appearance. */
export class PayerIndex {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  of(id: string): number {
    let p = this.index.get(id);
    if (p === undefined) {
      p = this.ids.length;
      this.ids.push(id);
      this.index.set(id, p);
    }
    return p;
  }
}

/** A binary min-heap of row indices by the time their label becomes known. */
class RevealQueue {
  private readonly rows: number[] = [];
  constructor(private readonly at: Float64Array) {}
  get size(): number {
    return this.rows.length;
  }
  peekAt(): number {
    const top = this.rows[0];
    return top === undefined ? Number.POSITIVE_INFINITY : (this.at[top] as number);
  }
  push(row: number): void {
    const h = this.rows;
    h.push(row);
    let i = h.length - 1;
    const t = this.at[row] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as number;
      // Ties keep the earlier row first, so the replay is deterministic.
      if ((this.at[p] as number) < t || ((this.at[p] as number) === t && p < row)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = row;
  }
  pop(): number {
    const h = this.rows;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      let i = 0;
      const t = this.at[last] as number;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        let c = l;
        if (r < h.length) {
          const tl = this.at[h[l] as number] as number;
          const tr = this.at[h[r] as number] as number;
          if (tr < tl || (tr === tl && (h[r] as number) < (h[l] as number))) c = r;
        }
        const child = h[c] as number;
        const tc = this.at[child] as number;
        if (t < tc || (t === tc && last < child)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function abortError(): Error {
  const e = new Error('the feature replay was cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * One event of a replayed stream. Events with a `label` become rows of the table (the
 * money movements the model scores); events without one only feed the stores (sign-ins,
 * password changes, bindings: what the features of later movements read).
 */
export interface ReplayRow {
  id: string;
  event: FeatureEvent & { at: Date };
  label?: 0 | 1 | undefined;
  /** When the label became known; the event time plus the label delay when absent. */
  labelAtMs?: number | undefined;
  /** The customer an alert would be about (card-precision@k); the event's customer when absent. */
  payer?: string | undefined;
}

export interface ReplayOptions extends TableOptions {
  /** Seeds the profile before the replay: customers and merchants opened before the stream starts. */
  seed?: ((profile: MemoryProfileSource) => void) | undefined;
  /** Whether an event went through (counted in the stores afterwards); default: every event. */
  committed?: ((row: ReplayRow) => boolean) | undefined;
}

/** Replays a labelled history (in time order) through the engine's feature code. */
export async function buildFeatureTable(
  history: readonly LabelledTx[],
  options: TableOptions,
): Promise<FeatureTable> {
  const type = options.eventType ?? 'payment';
  return replayTable(
    history.map((tx) => ({
      id: tx.id,
      event: {
        type,
        customerId: tx.payerId,
        counterpartyId: tx.payeeId,
        amountMinor: tx.amountMinor,
        currency: tx.currency,
        at: new Date(tx.atMs),
      },
      label: tx.label,
      labelAtMs: tx.labelAtMs,
      payer: tx.payerId,
    })),
    options,
  );
}

/**
 * Replays any event stream (in time order) through the engine's feature code: the rows
 * with a label become the table, every event feeds the stores, fraud labels reach the
 * label features when they become known.
 */
export async function replayTable(
  stream: readonly ReplayRow[],
  options: ReplayOptions,
): Promise<FeatureTable> {
  const names = options.features ?? DEFAULT_MODEL_FEATURES;
  let n = 0;
  for (const r of stream) if (r.label !== undefined) n++;
  const columns = names.map(() => new Float64Array(n));
  const labels = new Uint8Array(n);
  const atMs = new Float64Array(n);
  const labelKnownAtMs = new Float64Array(n);
  const payer = new Int32Array(n);
  const payers = new PayerIndex();
  const amountMinor = new Float64Array(n);
  const ruleScore = new Float64Array(n);
  const ruleSeverity = new Uint8Array(n);

  const velocity = new MemoryVelocityStore();
  const profile = new MemoryProfileSource();
  options.seed?.(profile);
  const computer = new FeatureComputer({ velocity, profile });
  const reveals = new RevealQueue(labelKnownAtMs);
  const rowEvents: Array<FeatureEvent> = [];
  const x = new Float64Array(names.length);
  let previousAt = Number.NEGATIVE_INFINITY;
  let k = 0;
  try {
    for (let i = 0; i < stream.length; i++) {
      const item = stream[i] as ReplayRow;
      const event = item.event;
      const when = event.at.getTime();
      if (when < previousAt)
        throw new RangeError(
          `row ${i} (${item.id}) is earlier than the row before it: replay needs time order`,
        );
      previousAt = when;
      // Labels that became known up to this moment reach the stores first, at their arrival time.
      while (reveals.size > 0 && reveals.peekAt() <= when) {
        const j = reveals.pop();
        await computer.labelled(rowEvents[j] as FeatureEvent, 'fraud', new Date(labelKnownAtMs[j] as number));
      }
      const result = await computer.compute(event, event.at);
      if (item.label !== undefined) {
        vectorize(names, result.features, event, x);
        for (let f = 0; f < names.length; f++) (columns[f] as Float64Array)[k] = x[f] as number;
        if (options.rules) {
          const inputs = ruleInputs(event, result.features, event.at, 480);
          const evaluation = evaluateSet(options.rules, inputs, { timeRules: false });
          ruleScore[k] = evaluation.score;
          ruleSeverity[k] = ACTION_SEVERITY[evaluation.outcome];
        }
        labels[k] = item.label;
        atMs[k] = when;
        labelKnownAtMs[k] = Math.max(when, item.labelAtMs ?? when + options.labelDelayMs);
        amountMinor[k] = Number(event.amountMinor ?? 0n);
        payer[k] = payers.of(item.payer ?? event.customerId);
        rowEvents.push(event);
        if (item.label === 1) reveals.push(k);
        k++;
      }
      if (options.committed?.(item) ?? true) await computer.committed(event, event.at);
      if ((i & 4095) === 4095) {
        // Let timers and signals (Ctrl-C) in between batches.
        await new Promise((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) throw abortError();
        options.onProgress?.(i + 1, stream.length);
      }
    }
    options.onProgress?.(stream.length, stream.length);
  } finally {
    await velocity.close();
  }
  return {
    features: names,
    columns,
    labels,
    atMs,
    labelKnownAtMs,
    payer,
    payerIds: payers.ids,
    amountMinor,
    ruleScore,
    ruleSeverity,
    rows: n,
  };
}

/**
 * A feature table on disk, so that a long evaluation interrupted after its replay (or run
 * again with other learner settings) starts from the features instead of replaying the
 * history again. The file is a JSON header line, then the columns as raw little-endian
 * arrays. `key` names what the table was built from (the history file, its size and time,
 * the features, the label delay); a cache built from anything else is not used.
 */
const CACHE_MAGIC = 'bulwark-feature-table/1';

export async function saveFeatureTable(path: string, table: FeatureTable, key: string): Promise<void> {
  const header = {
    magic: CACHE_MAGIC,
    key,
    rows: table.rows,
    features: table.features,
    payerIds: table.payerIds,
  };
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(`${JSON.stringify(header)}\n`);
    const arrays: ArrayBufferView[] = [
      ...table.columns,
      table.atMs,
      table.labelKnownAtMs,
      table.amountMinor,
      table.ruleScore,
      table.payer,
      table.labels,
      table.ruleSeverity,
    ];
    for (const a of arrays) await fh.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  } finally {
    await fh.close();
  }
  // Written aside and renamed: a crash never leaves a half table under the real name.
  await rename(tmp, path);
}

/** The cached table, or undefined when there is none or it was built from something else. */
export async function loadFeatureTable(path: string, key: string): Promise<FeatureTable | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return undefined;
  }
  const newline = buf.indexOf(10);
  if (newline < 0) return undefined;
  let header: { magic?: unknown; key?: unknown; rows?: unknown; features?: unknown; payerIds?: unknown };
  try {
    header = JSON.parse(buf.subarray(0, newline).toString('utf8'));
  } catch {
    return undefined;
  }
  const rows = header.rows;
  if (
    header.magic !== CACHE_MAGIC ||
    header.key !== key ||
    typeof rows !== 'number' ||
    !Array.isArray(header.features) ||
    !Array.isArray(header.payerIds)
  )
    return undefined;
  const features = header.features as string[];
  const expected = rows * (8 * (features.length + 4) + 4 + 1 + 1);
  if (buf.length - newline - 1 !== expected) return undefined;
  // Copied into fresh, aligned arrays (the file's offsets need not be multiples of 8).
  let offset = newline + 1;
  const take = <T>(make: (b: ArrayBuffer) => T, bytes: number): T => {
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(offset, offset + bytes));
    offset += bytes;
    return make(copy.buffer);
  };
  const f64 = () => take((b) => new Float64Array(b), rows * 8);
  const columns = features.map(() => f64());
  const atMs = f64();
  const labelKnownAtMs = f64();
  const amountMinor = f64();
  const ruleScore = f64();
  const payer = take((b) => new Int32Array(b), rows * 4);
  const labels = take((b) => new Uint8Array(b), rows);
  const ruleSeverity = take((b) => new Uint8Array(b), rows);
  return {
    features,
    columns,
    labels,
    atMs,
    labelKnownAtMs,
    payer,
    payerIds: header.payerIds as string[],
    amountMinor,
    ruleScore,
    ruleSeverity,
    rows,
  };
}
