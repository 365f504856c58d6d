// Proves `bulwark simulate` refuses what the API could not accept (more than 34 days, an end in the future, a bad rate, no key) before sending anything.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSimulateCommand, resolveApiKey } from '../../../src/simulator/traffic/cli.ts';
import { parseRate } from '../../../src/simulator/traffic/rate.ts';

function program(): Command {
  const p = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerSimulateCommand(p);
  p.commands.forEach((c) => {
    c.exitOverride();
    c.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  });
  return p;
}

const run = (...args: string[]) => program().parseAsync(['node', 'bulwark', 'simulate', ...args]);
const saved = { key: process.env.BULWARK_API_KEY, dir: process.env.BULWARK_DATA_DIR };

afterEach(() => {
  for (const [name, value] of [
    ['BULWARK_API_KEY', saved.key],
    ['BULWARK_DATA_DIR', saved.dir],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('bulwark simulate', () => {
  it('refuses more than 34 days, an end in the future or too long ago', async () => {
    await expect(run('--days', '40', '--key', 'k')).rejects.toThrow(/at most 34 days/);
    await expect(run('--end', '2999-01-01T00:00:00Z', '--key', 'k')).rejects.toThrow(/in the future/);
    await expect(run('--days', '10', '--end', '2020-01-01T00:00:00Z', '--key', 'k')).rejects.toThrow(
      /more than 35 days ago/,
    );
    await expect(run('--end', 'yesterday', '--key', 'k')).rejects.toThrow(/ISO date-time/);
  });

  it('parses rates as N/s or N and refuses anything else', async () => {
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('50')).toBe(50);
    expect(parseRate(' 12.5 / s ')).toBe(12.5);
    expect(() => parseRate('fast')).toThrow(/not a rate/);
    expect(() => parseRate('0/s')).toThrow(/not a rate/);
    await expect(run('--rate', 'fast')).rejects.toThrow(/not a rate/);
  });

  it('asks for a key when neither the flag, the environment nor the demo credentials give one', async () => {
    delete process.env.BULWARK_API_KEY;
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-sim-'));
    process.env.BULWARK_DATA_DIR = dir;
    await expect(run('--days', '1', '--customers', '10')).rejects.toThrow(/no API key/);
    await writeFile(join(dir, 'demo-credentials.json'), JSON.stringify({ apiKey: 'bwk_demo_x', staff: [] }));
    expect(await resolveApiKey(undefined)).toBe('bwk_demo_x');
    process.env.BULWARK_API_KEY = 'bwk_env_y';
    expect(await resolveApiKey(undefined)).toBe('bwk_env_y');
    expect(await resolveApiKey('bwk_flag_z')).toBe('bwk_flag_z');
  });
});
