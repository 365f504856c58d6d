import { IpRegionTable, ipv4Number } from '../../risk/geo.ts';
import { REGIONS } from './population.ts';

/**
 * The demo's IP region table: the simulated networks of each region (its /16 blocks), so
 * events that come without a location still get one, as a licensed IP database would give.
 */
export function demoIpRegions(): IpRegionTable {
  const ranges = REGIONS.flatMap((r) =>
    r.ipBlocks.map(([a, b]) => ({
      start: ipv4Number(`${a}.${b}.0.0`) ?? 0,
      end: ipv4Number(`${a}.${b}.255.255`) ?? 0,
      geo: { country: 'CN', region: r.name, lat: r.lat, lon: r.lon },
    })),
  );
  return new IpRegionTable(ranges);
}
