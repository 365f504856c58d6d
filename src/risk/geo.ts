import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import type { RiskGeo } from './gate.ts';

/**
 * Where an address is: an IPv4 range table (start, end, country, region, latitude,
 * longitude), looked up by binary search. The engine fills an event's geolocation from it
 * when the client sent none. The table is data the operator provides (a licensed IP
 * database exported as CSV); the demo brings a small one for its simulated networks.
 */

interface Range {
  start: number;
  end: number;
  geo: RiskGeo;
}

/** An IPv4 address as an unsigned 32-bit number, or undefined when it is not one. */
export function ipv4Number(ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export class IpRegionTable {
  private readonly starts: Uint32Array;
  private readonly ranges: Range[];

  constructor(ranges: Range[]) {
    const sorted = [...ranges].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev && cur && cur.start <= prev.end) {
        throw new Error(`IP region ranges overlap at ${cur.start}`);
      }
    }
    this.ranges = sorted;
    this.starts = Uint32Array.from(sorted.map((r) => r.start));
  }

  get size(): number {
    return this.ranges.length;
  }

  lookup(ip: string): RiskGeo | undefined {
    const n = ipv4Number(ip);
    if (n === undefined) return undefined;
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] ?? 0) <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = found >= 0 ? this.ranges[found] : undefined;
    return r && n <= r.end ? r.geo : undefined;
  }

  /**
   * A table from CSV lines `start_ip,end_ip,country,region,lat,lon` (a header line and
   * blank lines are skipped); a malformed line is refused with its number.
   */
  static fromCsv(text: string): IpRegionTable {
    const ranges: Range[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || /^start/i.test(line)) return;
      const [s = '', e = '', country = '', region = '', lat = '', lon = ''] = line
        .split(',')
        .map((x) => x.trim());
      const start = ipv4Number(s);
      const end = ipv4Number(e);
      const la = Number(lat);
      const lo = Number(lon);
      if (
        start === undefined ||
        end === undefined ||
        end < start ||
        !/^[A-Z]{2}$/.test(country) ||
        region.length > 64 ||
        !Number.isFinite(la) ||
        !Number.isFinite(lo) ||
        Math.abs(la) > 90 ||
        Math.abs(lo) > 180
      ) {
        throw new Error(
          `IP region table line ${i + 1} is not "start_ip,end_ip,country,region,lat,lon": ${line}`,
        );
      }
      const geo: RiskGeo = { country, lat: la, lon: lo };
      if (region) geo.region = region;
      ranges.push({ start, end, geo });
    });
    return new IpRegionTable(ranges);
  }

  static fromFile(path: string): IpRegionTable {
    return IpRegionTable.fromCsv(readFileSync(path, 'utf8'));
  }
}

const EARTH_KM = 6371;

/** Great-circle distance in kilometres. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
