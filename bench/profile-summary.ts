/**
 * Where the server's CPU time went: reads a V8 .cpuprofile and sums the sampled time
 * by place (our source file, npm package, Node internals, PGlite's WebAssembly, GC,
 * idle), by function (self time), and the inclusive time of our own functions.
 *
 * Usage: node bin/run-ts.mjs bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time per place, largest first, with its share of the total. */
  byPlace: Array<{ place: string; ms: number; share: number }>;
  /** Self time per function. */
  topSelf: Array<{ fn: string; ms: number; share: number }>;
  /** Time spent in a function or anything it called, for functions of src/. */
  topInclusiveSrc: Array<{ fn: string; ms: number; share: number }>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isProfile(v: unknown): v is CpuProfile {
  if (!isRecord(v) || !Array.isArray(v.nodes) || !Array.isArray(v.samples) || !Array.isArray(v.timeDeltas))
    return false;
  const first: unknown = v.nodes[0];
  return isRecord(first) && typeof first.id === 'number' && isRecord(first.callFrame);
}

function place(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  if (url.startsWith('wasm://')) return 'wasm (PGlite Postgres)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url;
}

/** Function and place; no line: files run through tsx report lines of the transpiled code. */
function label(n: ProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${place(f.url, f.functionName)}`;
}

function top(map: Map<string, number>, totalMs: number, count: number) {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, ms]) => ({
      ms: Math.round(ms),
      share: totalMs > 0 ? Math.round((ms / totalMs) * 1000) / 1000 : 0,
      k,
    }));
}

export function summarizeProfile(profile: CpuProfile, count = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfByNode = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + dt);
  });
  const byPlace = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const n = byId.get(id);
    if (!n) continue;
    const ms = us / 1000;
    const p = place(n.callFrame.url, n.callFrame.functionName);
    byPlace.set(p, (byPlace.get(p) ?? 0) + ms);
    bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + ms);
    // Each src/ function on the stack gets the sample once, however often it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur);
      if (!frame || !frame.callFrame.url.includes('/src/')) continue;
      const l = label(frame);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
    }
  }
  const totalMs = totalUs / 1000;
  return {
    totalMs: Math.round(totalMs),
    byPlace: top(byPlace, totalMs, count).map(({ k, ms, share }) => ({ place: k, ms, share })),
    topSelf: top(bySelf, totalMs, count).map(({ k, ms, share }) => ({ fn: k, ms, share })),
    topInclusiveSrc: top(inclusive, totalMs, count).map(({ k, ms, share }) => ({ fn: k, ms, share })),
  };
}

export async function summarizeProfileFile(file: string, count = 25): Promise<ProfileSummary> {
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  return summarizeProfile(parsed, count);
}

function printSummary(s: ProfileSummary): void {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  console.log(`total sampled: ${s.totalMs} ms\n\nself time by place:`);
  for (const r of s.byPlace) console.log(`${pct(r.share)} ${String(r.ms).padStart(7)} ms  ${r.place}`);
  console.log('\nself time by function:');
  for (const r of s.topSelf) console.log(`${pct(r.share)} ${String(r.ms).padStart(7)} ms  ${r.fn}`);
  console.log('\ninclusive time of src/ functions:');
  for (const r of s.topInclusiveSrc) console.log(`${pct(r.share)} ${String(r.ms).padStart(7)} ms  ${r.fn}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  printSummary(await summarizeProfileFile(file, Number(process.argv[3] ?? 25)));
}

export { printSummary };
