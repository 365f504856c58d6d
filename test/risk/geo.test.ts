// Proves the IP region table: lookups at range edges, refusal of malformed or overlapping tables, IPv6 unknown, distances.
import { describe, expect, it } from 'vitest';
import { distanceKm, IpRegionTable, ipv4Number } from '../../src/risk/geo.ts';
import { demoIpRegions } from '../../src/simulator/traffic/ip-table.ts';

const CSV = `start_ip,end_ip,country,region,lat,lon
# comments and blank lines are skipped

58.246.0.0,58.246.255.255,CN,Shanghai,31.23,121.47
123.112.0.0,123.112.255.255,CN,Beijing,39.90,116.40
`;

describe('IP region table', () => {
  it('finds the range an address falls in, at both edges, and nothing outside', () => {
    const t = IpRegionTable.fromCsv(CSV);
    expect(t.size).toBe(2);
    expect(t.lookup('58.246.0.0')).toMatchObject({ country: 'CN', region: 'Shanghai' });
    expect(t.lookup('58.246.255.255')).toMatchObject({ region: 'Shanghai' });
    expect(t.lookup('58.247.0.0')).toBeUndefined();
    expect(t.lookup('123.112.7.9')).toMatchObject({ region: 'Beijing', lat: 39.9, lon: 116.4 });
    expect(t.lookup('1.1.1.1')).toBeUndefined();
    expect(t.lookup('2001:db8::1')).toBeUndefined();
    expect(t.lookup('not an ip')).toBeUndefined();
  });

  it('refuses a malformed line with its number, and overlapping ranges', () => {
    expect(() => IpRegionTable.fromCsv('1.0.0.0,0.0.0.9,CN,X,1,1')).toThrow(/line 1/);
    expect(() => IpRegionTable.fromCsv('start_ip,end_ip\n1.0.0.0,1.0.0.9,China,X,1,1')).toThrow(/line 2/);
    expect(() => IpRegionTable.fromCsv('1.0.0.0,1.0.0.9,CN,X,91,1')).toThrow(/line 1/);
    expect(() => IpRegionTable.fromCsv('1.0.0.0,1.0.0.9,CN,X,1,1\n1.0.0.5,1.0.1.0,CN,Y,1,1')).toThrow(
      /overlap/,
    );
  });

  it('numbers addresses as unsigned 32-bit values', () => {
    expect(ipv4Number('255.255.255.255')).toBe(4_294_967_295);
    expect(ipv4Number('0.0.0.1')).toBe(1);
    expect(ipv4Number('256.0.0.1')).toBeUndefined();
  });

  it('measures great-circle distances', () => {
    // Shanghai to Beijing is about 1,070 km.
    const d = distanceKm({ lat: 31.23, lon: 121.47 }, { lat: 39.9, lon: 116.4 });
    expect(d).toBeGreaterThan(1000);
    expect(d).toBeLessThan(1150);
    expect(distanceKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 })).toBe(0);
  });

  it('covers the simulated networks of every demo region', () => {
    const t = demoIpRegions();
    expect(t.lookup('58.246.3.4')).toMatchObject({ region: 'Shanghai' });
    expect(t.lookup('171.221.0.1')).toMatchObject({ region: 'Sichuan' });
  });
});
