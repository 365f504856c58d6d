import { Stack, Tabs } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { isDeliveryStatus, NOTIFY_KEYS, webhookList } from '../api/notify.ts';
import { useApi } from '../auth/session.tsx';
import { PageHeader } from '../components/Common.tsx';
import { DeliveryLog } from '../components/notify/Deliveries.tsx';
import { Mailbox } from '../components/notify/Mailbox.tsx';
import { WebhookEndpoints } from '../components/notify/Webhooks.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

const TABS = ['webhooks', 'mailbox'] as const;
type Tab = (typeof TABS)[number];

function isTab(v: string | null): v is Tab {
  return v !== null && (TABS as readonly string[]).includes(v);
}

/**
 * What leaves Bulwark: webhook endpoints with their delivery log, and the embedded mailbox.
 * The tab, the endpoint whose log is shown and the log's status filter are in the address.
 */
export function Notifications() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tabParam = params.get('tab');
  const tab: Tab = isTab(tabParam) ? tabParam : 'webhooks';
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader title={t('outbound.title')} description={t('outbound.description')} />
      <Tabs
        value={tab}
        onChange={(v) => set({ tab: v === 'mailbox' ? 'mailbox' : null })}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="webhooks" data-testid="tab-webhooks">
            {t('outbound.webhooks')}
          </Tabs.Tab>
          <Tabs.Tab value="mailbox" data-testid="tab-mailbox">
            {t('outbound.mailbox')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="webhooks">
          <Webhooks
            selected={params.get('endpoint')}
            status={params.get('status')}
            onSelect={(id) => set({ endpoint: id, status: null })}
            onStatus={(s) => set({ status: s })}
          />
        </Tabs.Panel>
        <Tabs.Panel value="mailbox">
          <Mailbox />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function Webhooks({
  selected,
  status,
  onSelect,
  onStatus,
}: {
  selected: string | null;
  status: string | null;
  onSelect(id: string): void;
  onStatus(status: string | null): void;
}) {
  const api = useApi();
  const list = useQuery({
    queryKey: NOTIFY_KEYS.webhooks,
    queryFn: () => api.get('/v1/notify/webhooks', webhookList),
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  // The log shows the endpoint in the address, else the first one.
  const shown = list.data.find((w) => w.id === selected) ?? list.data[0] ?? null;
  return (
    <Stack>
      <WebhookEndpoints webhooks={list.data} selected={shown?.id ?? null} onSelect={onSelect} />
      {shown && (
        <DeliveryLog
          webhook={shown}
          status={status !== null && isDeliveryStatus(status) ? status : null}
          onStatus={onStatus}
        />
      )}
    </Stack>
  );
}
