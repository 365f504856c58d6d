import { Badge, Text } from '@mantine/core';
import type { AttemptOutcome, DeliveryStatus, Notification } from '../../api/notify.ts';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';

/** The words and colours of notification deliveries and inbox items. */

export const DELIVERY_STATUS_KEYS: Record<DeliveryStatus, MessageKey> = {
  pending: 'delivery.pending',
  sending: 'delivery.sending',
  delivered: 'delivery.delivered',
  failed: 'delivery.failed',
};
const DELIVERY_STATUS_COLORS: Record<DeliveryStatus, string> = {
  pending: 'yellow',
  sending: 'blue',
  delivered: 'teal',
  failed: 'red',
};

export const ATTEMPT_OUTCOME_KEYS: Record<AttemptOutcome, MessageKey> = {
  delivered: 'attempt.delivered',
  retry: 'attempt.retry',
  failed: 'attempt.failed',
  interrupted: 'attempt.interrupted',
};

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  const { t } = useI18n();
  return (
    <Badge
      color={DELIVERY_STATUS_COLORS[status]}
      variant="light"
      size="sm"
      style={{ minWidth: 'max-content' }}
      data-testid="delivery-status"
      data-status={status}
    >
      {t(DELIVERY_STATUS_KEYS[status])}
    </Badge>
  );
}

/**
 * Inbox titles the console words itself, so they follow the console's language (the server
 * answers in the browser's); an item of another topic keeps the server's title.
 */
const TOPIC_TITLE_KEYS: Record<string, MessageKey> = {
  'cases.case.assigned': 'inbox.topic.caseAssigned',
  'identity.login.new_device': 'inbox.topic.newDevice',
};

export function useNotificationTitle(): (n: Pick<Notification, 'topic' | 'title'>) => string {
  const { t } = useI18n();
  return (n) => {
    const key = TOPIC_TITLE_KEYS[n.topic];
    return key ? t(key) : n.title || n.topic;
  };
}

/** An item's title in the reader's words and its body in the language it was written in. */
export function NotificationText({ n, fw }: { n: Notification; fw: number }) {
  const title = useNotificationTitle();
  return (
    <>
      <Text size="sm" fw={fw}>
        {title(n)}
      </Text>
      {n.body && (
        <Text size="sm" lang={n.language} style={{ overflowWrap: 'anywhere' }}>
          {n.body}
        </Text>
      )}
    </>
  );
}
