import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { buildBulwark } from '../app.ts';
import { totpAt } from '../identity/totp.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { type Config, loadConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { migrateToLatest } from '../platform/migrate.ts';
import { formatMinor } from '../platform/money.ts';
import { registerModelCommand } from '../risk/model/cli.ts';
import {
  type AuditExportLine,
  type AuditVerifyReport,
  readAudit,
  verifyAudit,
  verifyAuditLines,
} from '../security/audit.ts';
import { type KeyProvider, keyProviderFromEnv, keyProviderFromFile } from '../security/keys.ts';
import { keyStatus, type RotateReport, rewrapDataKeys, rotateFieldKey } from '../security/rotate.ts';
import { DEMO_DEFAULTS, demoLoaded, hasData, markDemoLoaded, seedDemo } from '../simulator/demo.ts';
import { type DemoAccess, ensureDemoAccess } from '../simulator/demo-access.ts';
import { bootstrapDemoModel } from '../simulator/demo-model.ts';
import { registerSimulateCommand } from '../simulator/traffic/cli.ts';
import { demoIpRegions } from '../simulator/traffic/ip-table.ts';
import { startLiveTraffic } from '../simulator/traffic/live.ts';
import { progressBar } from './progress.ts';

const program = new Command();
program
  .name('bulwark')
  .description('Bulwark: e-wallet ledger and money movement with risk control built in.')
  .showHelpAfterError();

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegativeNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of 0 or more');
  return n;
};

program
  .command('serve')
  .description('Run the API (and background jobs); embedded PGlite unless DATABASE_URL is set')
  .option('--demo', 'load the demo data set on first start (empty database)')
  .option('-p, --port <port>', 'port to listen on (default: $PORT or 3000)', positiveInt)
  .option('--host <host>', 'address to bind (default: $HOST or 127.0.0.1)')
  .option(
    '--live-rate <n>',
    'with --demo: simulated events per second sent live (0: none)',
    nonNegativeNumber,
    2,
  )
  .action(async (opts: { demo?: boolean; port?: number; host?: string; liveRate: number }) => {
    const config = loadConfig();
    const log = createLogger(config.logLevel, process.stdout.isTTY);
    // The demo's simulated networks have a place, like a licensed IP database would give them.
    const ipRegions = opts.demo && !config.ipRegionFile ? demoIpRegions() : undefined;
    const bulwark = await buildBulwark({ config, log, ...(ipRegions ? { ipRegions } : {}) });
    log.info(
      { database: bulwark.dbHandle.kind, location: bulwark.dbHandle.location },
      'database ready, migrations applied',
    );
    if (opts.demo && !(await hasData(bulwark.dbHandle.db))) {
      log.info('empty database: loading the demo data set (first start only)');
      const bar = progressBar('demo data');
      const summary = await seedDemo(bulwark, DEMO_DEFAULTS, (done, total) => bar.update(done, total));
      bar.stop();
      await markDemoLoaded(bulwark.dbHandle.db);
      log.info(summary, 'demo data loaded');
      log.info('training the demo fraud model on a month of simulated traffic (first start only)');
      const model = await bootstrapDemoModel(bulwark.models, bulwark.clock.now());
      if (model) log.info(model, 'demo fraud model trained and serving as champion');
    } else if (opts.demo && !(await demoLoaded(bulwark.dbHandle.db))) {
      log.warn(
        'an earlier demo load did not finish, so the demo data is partial; remove the data directory to start afresh',
      );
    }
    let access: DemoAccess | undefined;
    if (opts.demo) access = await ensureDemoAccess(bulwark, config.dataDir);
    bulwark.requestLogging.enabled = true;
    bulwark.startBackground();
    const address = await bulwark.app.listen({
      port: opts.port ?? config.port,
      host: opts.host ?? config.host,
    });
    log.info(
      `Bulwark listening on ${address} — console at ${address}/, API docs at ${address}/docs, metrics at ${address}/metrics`,
    );
    if (access) {
      process.stdout.write(
        `\nDemo credentials (kept in ${access.file}, mode 0600):\n` +
          `  API key (integrator): ${access.apiKey}\n` +
          `  staff: ${access.staff.map((s) => s.email).join(', ')}\n` +
          '  passwords and current authenticator codes: node bin/bulwark.mjs demo credentials\n\n',
      );
    }
    // The demo keeps moving: simulated customers act live, fraudsters among them.
    // It has an API client of its own, so its requests never use up the demo key's rate limit.
    const liveKey =
      access && opts.liveRate > 0
        ? (
            await bulwark.apiClients.create(
              { name: `live demo traffic ${new Date().toISOString()}`, role: 'integrator' },
              { type: 'system', id: 'demo' },
            )
          ).key
        : undefined;
    const live = liveKey
      ? startLiveTraffic(bulwark.app, liveKey, { customers: 100, ratePerS: opts.liveRate, seed: 7, log })
      : undefined;
    if (live)
      log.info({ ratePerS: opts.liveRate }, 'live demo traffic started (serve --live-rate 0 turns it off)');
    const shutdown = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      await live?.stop();
      await bulwark.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  });

const demo = program.command('demo').description('The demo data set');
demo
  .command('credentials')
  .description("Print the demo's API key and staff sign-ins with each user's current authenticator code")
  .action(async () => {
    const config = loadConfig();
    const file = `${config.dataDir}/demo-credentials.json`;
    let access: Omit<DemoAccess, 'file'>;
    try {
      access = JSON.parse(await readFile(file, 'utf8')) as Omit<DemoAccess, 'file'>;
    } catch {
      throw new Error(`no demo credentials in ${file}: start once with \`npm start\` (serve --demo)`);
    }
    process.stdout.write(`API key (integrator): ${access.apiKey}\n\n`);
    process.stdout.write(
      'role        e-mail                          password                     code now\n',
    );
    for (const s of access.staff) {
      process.stdout.write(
        `${s.role.padEnd(12)}${s.email.padEnd(32)}${s.password.padEnd(29)}${totpAt(s.totpSecret, Date.now())}\n`,
      );
    }
  });

program
  .command('migrate')
  .description('Apply database migrations')
  .action(async () => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    const report = await migrateToLatest(handle.db);
    console.log(
      report.applied.length > 0 ? `applied: ${report.applied.join(', ')}` : 'database is up to date',
    );
    await handle.close();
  });

program
  .command('seed')
  .description('Load the demo data set: customers, merchants and months of history')
  .option('--customers <n>', 'customers', positiveInt, DEMO_DEFAULTS.customers)
  .option('--merchants <n>', 'merchants', positiveInt, DEMO_DEFAULTS.merchants)
  .option('--days <n>', 'days of history', positiveInt, DEMO_DEFAULTS.days)
  .option('--seed <n>', 'random seed', positiveInt, DEMO_DEFAULTS.seed)
  .option('--force', 'seed even if the database already has customers')
  .action(
    async (opts: { customers: number; merchants: number; days: number; seed: number; force?: boolean }) => {
      const config = loadConfig();
      const log = createLogger('warn');
      const bulwark = await buildBulwark({ config, log });
      try {
        if (!opts.force && (await hasData(bulwark.dbHandle.db))) {
          console.error('the database already has customers; use --force to add the demo set anyway');
          process.exitCode = 1;
          return;
        }
        const bar = progressBar('demo data');
        const summary = await seedDemo(bulwark, { ...DEMO_DEFAULTS, ...opts }, (done, total) =>
          bar.update(done, total),
        );
        bar.stop();
        await markDemoLoaded(bulwark.dbHandle.db);
        console.log(JSON.stringify(summary, null, 2));
      } finally {
        await bulwark.close();
      }
    },
  );

const ledger = program.command('ledger').description('Ledger integrity tools');

ledger
  .command('verify')
  .description('Recompute the hash chain and every ledger invariant; exit code 1 if anything is wrong')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    await migrateToLatest(handle.db);
    const bar = opts.json ? undefined : progressBar('verifying journal');
    const report = await verifyLedger(handle.db, { onProgress: (done, total) => bar?.update(done, total) });
    bar?.stop();
    await handle.close();
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(
        `${report.entries} entries, ${report.postings} postings, ${report.accounts} accounts checked in ${report.durationMs} ms`,
      );
      console.log(`chain head: seq ${report.headSeq}, hash ${report.headHash}`);
      if (report.ok) {
        console.log('OK: hash chain intact, every entry balanced, balances, holds and custody consistent');
      } else {
        console.log(`FAILED: ${report.problems.length + report.problemsTruncated} problem(s)`);
        for (const p of report.problems) {
          const where = [p.seq ? `seq ${p.seq}` : '', p.entryId ?? '', p.accountId ?? '']
            .filter(Boolean)
            .join(' ');
          console.log(`  ${p.code.padEnd(26)} ${where}: ${p.message}`);
        }
        if (report.problemsTruncated > 0) console.log(`  … and ${report.problemsTruncated} more`);
      }
    }
    process.exitCode = report.ok ? 0 : 1;
  });

ledger
  .command('custody-check')
  .description(
    'Check that custody (备付金) equals the sum of customer wallets per currency; exit code 1 if not',
  )
  .option('--json', 'print the report as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const log = createLogger('warn');
    const bulwark = await buildBulwark({ config, log });
    const report = await bulwark.ledger.custodyCheck();
    await bulwark.close();
    if (opts.json) {
      console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    } else {
      for (const c of report.currencies) {
        const mark = c.differenceMinor === 0n ? 'ok ' : 'BAD';
        console.log(
          `${mark} ${c.currency}: custody ${formatMinor(c.custodyMinor, c.currency)}, ${c.wallets} wallets ${formatMinor(c.walletsMinor, c.currency)}, difference ${formatMinor(c.differenceMinor, c.currency)}`,
        );
      }
      console.log(
        report.ok
          ? 'OK: customer funds fully segregated'
          : 'FAILED: custody does not match customer balances',
      );
    }
    process.exitCode = report.ok ? 0 : 1;
  });

const audit = program.command('audit').description('The hash-chained audit log');

audit
  .command('export')
  .description('Write the audit log as JSON Lines (one record a line, in sequence order)')
  .option('-o, --out <file>', 'output file (default: standard output)')
  .action(async (opts: { out?: string }) => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    await migrateToLatest(handle.db);
    const out = opts.out ? createWriteStream(opts.out) : process.stdout;
    let n = 0;
    for await (const line of readAudit(handle.db)) {
      out.write(`${JSON.stringify(line)}\n`);
      n++;
    }
    if (opts.out)
      await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
    await handle.close();
    console.error(`${n} audit records exported`);
  });

audit
  .command('verify')
  .description(
    'Recompute the audit hash chain, in the database or from an export file alone; exit 1 if broken',
  )
  .option('-f, --file <export.jsonl>', 'verify an export instead of the database')
  .action(async (opts: { file?: string }) => {
    let report: AuditVerifyReport;
    if (opts.file) {
      const lines = createInterface({ input: createReadStream(opts.file) });
      report = await verifyAuditLines(
        (async function* () {
          for await (const text of lines) if (text.trim()) yield parseAuditLine(text);
        })(),
      );
    } else {
      const config = loadConfig();
      const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      await migrateToLatest(handle.db);
      report = await verifyAudit(handle.db);
      await handle.close();
    }
    console.log(`${report.records} audit records checked`);
    for (const p of report.problems) console.log(`  seq ${p.seq} ${p.id}: ${p.message}`);
    console.log(report.ok ? 'OK: audit chain intact' : `FAILED: ${report.problems.length} problem(s)`);
    process.exitCode = report.ok ? 0 : 1;
  });

const staff = program.command('staff').description('Staff users');

staff
  .command('create-admin')
  .description('Create the first administrator (refused once an active one exists); prints its token once')
  .requiredOption('--email <email>', 'their e-mail address')
  .requiredOption('--name <name>', 'their display name')
  .action(async (opts: { email: string; name: string }) => {
    const config = loadConfig();
    const bulwark = await buildBulwark({ config, log: createLogger('warn') });
    try {
      const r = await bulwark.staff.bootstrapAdmin({ email: opts.email, displayName: opts.name });
      console.log(`administrator ${r.staffId} created, pending activation`);
      console.log(`activation token (shown once, valid until ${r.activationTokenExpiresAt}):`);
      console.log(r.activationToken);
    } finally {
      await bulwark.close();
    }
  });

const keys = program
  .command('keys')
  .description('Field-encryption keys: versions in use, field-key rotation, KEK re-wrapping');

keys
  .command('status')
  .description('Show, per sealed field, how many values each field-key version seals')
  .option('--json', 'print the status as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrateToLatest(handle.db);
      const status = await keyStatus(handle.db);
      if (opts.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      if (status.fieldKeyVersion === null) {
        console.log('no data keys yet: they are created when Bulwark first starts');
        return;
      }
      console.log(
        `field key: version ${status.fieldKeyVersion}; data keys ${status.dataKeys.map((k) => `${k.id}@${k.kekId}`).join(', ')}`,
      );
      console.log(`KEKs in use: ${status.kekIds.join(', ')}`);
      const versions = [...new Set(status.fields.flatMap((f) => f.versions.map((v) => v.version)))].sort(
        (a, b) => a - b,
      );
      const width = Math.max(...status.fields.map((f) => `${f.table}.${f.column}`.length));
      const cell = (text: string) => text.padStart(8);
      console.log(
        `${'field'.padEnd(width)} ${versions.map((v) => cell(`v${v}`)).join('')}${cell('old')}${cell('bad')}`,
      );
      for (const f of status.fields) {
        const counts = versions.map((v) => cell(String(f.versions.find((x) => x.version === v)?.count ?? 0)));
        console.log(
          `${`${f.table}.${f.column}`.padEnd(width)} ${counts.join('')}${cell(String(f.belowCurrent))}${cell(String(f.malformed))}`,
        );
      }
      const old = status.fields.reduce((n, f) => n + f.belowCurrent, 0);
      console.log(
        old > 0
          ? `${old} value(s) under an older field key: run \`bulwark keys rotate --resume\` to re-seal them`
          : 'every sealed value is under the current field key',
      );
    } finally {
      await handle.close();
    }
  });

keys
  .command('rotate')
  .description(
    'Add a new field key and re-seal every sealed value under it, in batches; exit 1 if any value fails',
  )
  .option('--batch-size <n>', 'rows per transaction', positiveInt, 500)
  .option('--resume', 'add no key: only re-seal what an earlier (interrupted) run left')
  .action(async (opts: { batchSize: number; resume?: boolean }) => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    const controller = new AbortController();
    // Ctrl-C (or a TERM) stops after the batch in flight; what was committed stays and --resume continues.
    const interrupt = () => {
      console.error('\ninterrupted: stopping after the current batch');
      controller.abort();
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    let report: RotateReport;
    try {
      await migrateToLatest(handle.db);
      const bar = progressBar('re-sealing');
      try {
        report = await rotateFieldKey(handle.db, keyProvider(config), {
          newKey: !opts.resume,
          batchSize: opts.batchSize,
          signal: controller.signal,
          onProgress: (done, total) => bar.update(done, total),
        });
      } finally {
        bar.stop();
      }
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      await handle.close();
    }
    if (report.addedVersion !== null) console.log(`added field key version ${report.addedVersion}`);
    for (const f of report.fields) {
      if (f.resealed + f.failed + f.changed + f.remaining === 0) continue;
      console.log(
        `  ${`${f.table}.${f.column}`.padEnd(40)} ${f.resealed} re-sealed, ${f.failed} failed, ${f.remaining} left`,
      );
    }
    console.log(
      `${report.resealed} of ${report.total} value(s) re-sealed under version ${report.fieldKeyVersion} in ${report.seconds} s`,
    );
    for (const v of report.failed.slice(0, 20)) {
      console.log(`  FAILED ${v.table}.${v.column} row ${v.rowKey}: ${v.reason}`);
    }
    if (report.failed.length > 20) console.log(`  … and ${report.failed.length - 20} more`);
    if (report.aborted) {
      console.error(
        `bulwark: rotation interrupted with ${report.remaining} value(s) left; run \`bulwark keys rotate --resume\``,
      );
    } else if (report.failed.length > 0) {
      console.error(
        `bulwark: ${report.failed.length} value(s) did not open (tampered or moved) and were left unchanged`,
      );
    } else if (report.remaining > 0) {
      // Written under the old key by a process that had not reloaded the keys yet.
      console.log(
        `${report.remaining} value(s) were written under an older key meanwhile: run \`bulwark keys rotate --resume\` again`,
      );
    } else {
      console.log(`OK: every sealed value is under field key version ${report.fieldKeyVersion}`);
    }
    process.exitCode = report.aborted || report.failed.length > 0 ? 1 : 0;
  });

keys
  .command('rewrap')
  .description(
    'Re-wrap every data key under the current KEK (the first of BULWARK_KEKS); older KEKs can then go',
  )
  .action(async () => {
    const config = loadConfig();
    const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrateToLatest(handle.db);
      const report = await rewrapDataKeys(handle.db, keyProvider(config));
      console.log(
        `${report.rewrapped} data key(s) re-wrapped under KEK ${report.kekId}, ${report.alreadyCurrent} already were`,
      );
    } finally {
      await handle.close();
    }
  });

// Labelled traffic against a running instance (src/simulator/traffic).
registerSimulateCommand(program);
// The fraud model's offline pipeline (src/risk/model).
registerModelCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Operators get one clear line, not a stack trace; LOG_LEVEL=debug shows the rest.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`bulwark: ${message}`);
  if (process.env.LOG_LEVEL === 'debug') console.error(err);
  process.exit(1);
}

/** The KEK source, chosen as the server chooses it. */
function keyProvider(config: Config): KeyProvider {
  return config.keks ? keyProviderFromEnv(config.keks) : keyProviderFromFile(config.keyFile);
}

/** One exported line, checked for shape before it is trusted. */
function parseAuditLine(text: string): AuditExportLine {
  const value: unknown = JSON.parse(text);
  const required = ['seq', 'id', 'at', 'actorType', 'actorId', 'action', 'prevHash', 'hash'];
  if (
    typeof value !== 'object' ||
    value === null ||
    !required.every((k) => typeof Reflect.get(value, k) === 'string')
  ) {
    throw new Error(`not an audit export line: ${text.slice(0, 80)}`);
  }
  return value as AuditExportLine;
}
