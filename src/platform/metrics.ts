import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process: the /metrics endpoint serves it in Prometheus text format. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'bulwark_process_' });

export const httpDuration = new Histogram({
  name: 'bulwark_http_request_duration_seconds',
  help: 'HTTP request latency by route and status class',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const ledgerBatchSize = new Histogram({
  name: 'bulwark_ledger_batch_commands',
  help: 'Commands applied per ledger transaction (group commit)',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers: [registry],
});

export const ledgerBatchDuration = new Histogram({
  name: 'bulwark_ledger_batch_duration_seconds',
  help: 'Wall time of one ledger transaction including commit',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});

export const ledgerCommands = new Counter({
  name: 'bulwark_ledger_commands_total',
  help: 'Ledger commands by type and result code',
  labelNames: ['type', 'result'] as const,
  registers: [registry],
});

export const ledgerQueueDepth = new Gauge({
  name: 'bulwark_ledger_queue_depth',
  help: 'Commands waiting for the ledger writer',
  registers: [registry],
});

export const custodyDifference = new Gauge({
  name: 'bulwark_ledger_custody_difference_minor',
  help: 'Custody balance minus the sum of customer wallet balances, per currency (must be 0)',
  labelNames: ['currency'] as const,
  registers: [registry],
});

export const custodyCheckOk = new Gauge({
  name: 'bulwark_ledger_custody_check_ok',
  help: '1 when custody equals the sum of customer wallets in every currency, else 0',
  registers: [registry],
});

export const riskDecisions = new Counter({
  name: 'bulwark_risk_decisions_total',
  help: 'Risk decisions by event type and outcome',
  labelNames: ['event_type', 'outcome'] as const,
  registers: [registry],
});

export const eventsDelivered = new Counter({
  name: 'bulwark_events_delivered_total',
  help: 'Outbox events delivered to in-process subscribers, by topic',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const outboxBacklog = new Gauge({
  name: 'bulwark_outbox_backlog_events',
  help: 'Outbox events not yet delivered',
  registers: [registry],
});
