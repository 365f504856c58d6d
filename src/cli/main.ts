import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { buildBulwark } from '../app.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { loadConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { migrateToLatest } from '../platform/migrate.ts';
import { formatMinor } from '../platform/money.ts';
import {
  type AuditExportLine,
  type AuditVerifyReport,
  readAudit,
  verifyAudit,
  verifyAuditLines,
} from '../security/audit.ts';
import { DEMO_DEFAULTS, demoLoaded, hasData, markDemoLoaded, seedDemo } from '../simulator/demo.ts';
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

program
  .command('serve')
  .description('Run the API (and background jobs); embedded PGlite unless DATABASE_URL is set')
  .option('--demo', 'load the demo data set on first start (empty database)')
  .option('-p, --port <port>', 'port to listen on (default: $PORT or 3000)', positiveInt)
  .option('--host <host>', 'address to bind (default: $HOST or 127.0.0.1)')
  .action(async (opts: { demo?: boolean; port?: number; host?: string }) => {
    const config = loadConfig();
    const log = createLogger(config.logLevel, process.stdout.isTTY);
    const bulwark = await buildBulwark({ config, log });
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
    } else if (opts.demo && !(await demoLoaded(bulwark.dbHandle.db))) {
      log.warn(
        'an earlier demo load did not finish, so the demo data is partial; remove the data directory to start afresh',
      );
    }
    bulwark.requestLogging.enabled = true;
    bulwark.startBackground();
    const address = await bulwark.app.listen({
      port: opts.port ?? config.port,
      host: opts.host ?? config.host,
    });
    log.info(`Bulwark listening on ${address} — API docs at ${address}/docs, metrics at ${address}/metrics`);
    const shutdown = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      await bulwark.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Operators get one clear line, not a stack trace; LOG_LEVEL=debug shows the rest.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`bulwark: ${message}`);
  if (process.env.LOG_LEVEL === 'debug') console.error(err);
  process.exit(1);
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
