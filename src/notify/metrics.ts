import { Counter, Histogram } from 'prom-client';
import { registry } from '../platform/metrics.ts';

export const notifyDeliveries = new Counter({
  name: 'bulwark_notify_deliveries_total',
  help: 'Delivery attempts of notifications by channel (webhook, email) and result (delivered, retry, failed, interrupted)',
  labelNames: ['channel', 'result'] as const,
  registers: [registry],
});

export const notifyDeliveryDuration = new Histogram({
  name: 'bulwark_notify_delivery_duration_seconds',
  help: 'Time of one delivery attempt (webhook POST or e-mail hand-over), by channel',
  labelNames: ['channel'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const notifyCreated = new Counter({
  name: 'bulwark_notify_created_total',
  help: 'Notifications created from events: inbox items by recipient type, and deliveries by channel',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const notifyInvalidEvents = new Counter({
  name: 'bulwark_notify_invalid_events_total',
  help: 'Events of a notification topic whose payload did not have the documented shape (a producer bug)',
  labelNames: ['topic'] as const,
  registers: [registry],
});
