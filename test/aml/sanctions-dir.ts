// Where the shared sanctions samples are: BULWARK_SANCTIONS_DIR, else `../shared/data/sanctions`
// beside the checkout, else the workplace's shared folder (a clone elsewhere, as CI makes).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = [
  process.env.BULWARK_SANCTIONS_DIR,
  fileURLToPath(new URL('../../../shared/data/sanctions/', import.meta.url)),
  '/work/shared/data/sanctions/',
].filter((d): d is string => typeof d === 'string' && d !== '');

/** The sanctions sample directory, ending in `/` (the first candidate when none exists). */
export const SANCTIONS_DIR: string = (() => {
  const found = CANDIDATES.find((d) => existsSync(`${d.replace(/\/?$/, '/')}ofac_sdn/sdn.csv`));
  return (found ?? CANDIDATES[0] ?? '').replace(/\/?$/, '/');
})();
