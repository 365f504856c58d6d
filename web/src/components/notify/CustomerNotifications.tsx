import { Group, Paper, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import {
  CUSTOMER_NOTIFICATIONS_MAX,
  customerNotifications,
  customerNotificationsPath,
  NOTIFY_KEYS,
} from '../../api/notify.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Section } from '../Detail.tsx';
import { QueryView } from '../States.tsx';
import { NotificationText } from './labels.tsx';

/** What the customer was told (GET /v1/customers/:id/notifications), newest first, read or not. */
export function CustomerNotifications({ customerId }: { customerId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const q = useQuery({
    queryKey: NOTIFY_KEYS.customer(customerId),
    queryFn: () =>
      api.get(customerNotificationsPath(customerId), customerNotifications, {
        limit: CUSTOMER_NOTIFICATIONS_MAX,
      }),
  });
  return (
    <Section title={t('customer.notifications')}>
      <QueryView query={q} isEmpty={(p) => p.items.length === 0} empty={t('customer.noNotifications')}>
        {(p) => (
          <Stack gap="xs" data-testid="customer-notifications">
            {p.items.map((n) => (
              <Paper key={n.id} withBorder p="sm" radius="sm" data-testid={`customer-notification-${n.id}`}>
                <NotificationText n={n} fw={600} />
                <Group gap="xs">
                  <Text size="xs" c="dimmed">
                    {i18n.dateTime(n.createdAt)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {n.readAt
                      ? t('customer.notificationRead', { time: i18n.dateTime(n.readAt) })
                      : t('customer.notificationUnread')}
                  </Text>
                </Group>
              </Paper>
            ))}
            {p.nextCursor !== null && (
              <Text size="xs" c="dimmed">
                {t('customer.notificationsMore', { count: i18n.number(p.items.length) })}
              </Text>
            )}
          </Stack>
        )}
      </QueryView>
    </Section>
  );
}
