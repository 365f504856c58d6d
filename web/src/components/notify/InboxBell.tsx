import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Drawer,
  Group,
  Indicator,
  Paper,
  SegmentedControl,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  INBOX_PAGE_SIZE,
  inboxPage,
  markedAnswer,
  NOTIFY_KEYS,
  type Notification,
  notification,
  notificationLink,
  unreadBadge,
} from '../../api/notify.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Empty, ErrorState, Loading } from '../States.tsx';
import { NotificationText } from './labels.tsx';

/** The unread count is read again this often: a case assigned to you shows within the minute. */
const INBOX_REFRESH_MS = 30_000;
const BASE = '/v1/staff/me/notifications';

function BellIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" aria-hidden="true">
      <path
        d="M12 3a6 6 0 0 0-6 6v3.6L4.3 16a1 1 0 0 0 .9 1.5h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Z"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinejoin="round"
      />
      <path d="M9.5 20a2.5 2.5 0 0 0 5 0" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}

/** The signed-in staff user's inbox: a bell with the unread count in the header, the items in a drawer. */
export function InboxBell() {
  const { t } = useI18n();
  const api = useApi();
  const [opened, { open, close }] = useDisclosure();
  const count = useQuery({
    queryKey: NOTIFY_KEYS.inboxCount,
    queryFn: () => api.get(BASE, inboxPage, { limit: 1, unread: 'true' }),
    refetchInterval: INBOX_REFRESH_MS,
  });
  const unread = count.data?.unreadCount ?? 0;
  const badge = unreadBadge(unread);
  const label = unread > 0 ? t('inbox.openUnread', { count: unread }) : t('inbox.open');
  return (
    <>
      <Tooltip label={label}>
        <Indicator label={badge} disabled={badge === null} size={18} color="red" offset={4} inline>
          <ActionIcon
            variant="default"
            size="lg"
            aria-label={label}
            onClick={open}
            data-testid="inbox-bell"
            data-unread={unread}
          >
            <BellIcon />
          </ActionIcon>
        </Indicator>
      </Tooltip>
      <Drawer
        opened={opened}
        onClose={close}
        position="right"
        size="md"
        title={t('inbox.title')}
        data-testid="inbox-drawer"
      >
        {opened && <InboxList unread={unread} onLeave={close} />}
      </Drawer>
    </>
  );
}

function InboxList({ unread, onLeave }: { unread: number; onLeave(): void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const queryClient = useQueryClient();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const list = useInfiniteQuery({
    queryKey: NOTIFY_KEYS.inboxList(unreadOnly),
    queryFn: ({ pageParam }) =>
      api.get(BASE, inboxPage, {
        limit: INBOX_PAGE_SIZE,
        cursor: pageParam,
        unread: unreadOnly ? 'true' : undefined,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  const refresh = () => queryClient.invalidateQueries({ queryKey: NOTIFY_KEYS.inbox });
  const markRead = async (n: Notification) => {
    if (n.readAt !== null) return;
    setError(null);
    try {
      await api.post(`${BASE}/${encodeURIComponent(n.id)}/read`, notification, {});
      await refresh();
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };
  const markAll = async () => {
    setError(null);
    setBusy(true);
    try {
      await api.post(`${BASE}/read-all`, markedAnswer, {});
      await refresh();
    } catch (err) {
      setError(i18n.errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <SegmentedControl
          size="xs"
          aria-label={t('inbox.filter')}
          value={unreadOnly ? 'unread' : 'all'}
          onChange={(v) => setUnreadOnly(v === 'unread')}
          data={[
            { value: 'all', label: t('inbox.all') },
            { value: 'unread', label: t('inbox.unreadOnly') },
          ]}
          data-testid="inbox-filter"
        />
        <Button
          size="xs"
          variant="default"
          disabled={unread === 0}
          loading={busy}
          onClick={() => void markAll()}
          data-testid="inbox-read-all"
        >
          {t('inbox.readAll')}
        </Button>
      </Group>
      <Text size="xs" c="dimmed" data-testid="inbox-unread">
        {t('inbox.unreadCount', { count: i18n.number(unread) })}
      </Text>
      {error && (
        <Alert color="red" variant="light" role="alert">
          {error}
        </Alert>
      )}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{unreadOnly ? t('inbox.noneUnread') : t('inbox.none')}</Empty>
      ) : (
        <Stack gap="xs" data-testid="inbox-items">
          {items.map((n) => (
            <Item key={n.id} n={n} onRead={() => void markRead(n)} onLeave={onLeave} />
          ))}
          {list.hasNextPage && (
            <Button
              variant="subtle"
              size="xs"
              loading={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
            >
              {t('inbox.more')}
            </Button>
          )}
        </Stack>
      )}
    </Stack>
  );
}

function Item({ n, onRead, onLeave }: { n: Notification; onRead(): void; onLeave(): void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const link = notificationLink(n, auth.can);
  const unread = n.readAt === null;
  return (
    <Paper
      withBorder
      p="sm"
      radius="sm"
      bg={unread ? 'var(--mantine-primary-color-light)' : undefined}
      data-testid={`inbox-item-${n.id}`}
      data-topic={n.topic}
      data-read={unread ? 'false' : 'true'}
    >
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <NotificationText n={n} fw={unread ? 700 : 500} />
          <Group gap="xs">
            <Text size="xs" c="dimmed">
              {i18n.dateTime(n.createdAt)}
            </Text>
            {link && (
              <Anchor
                component={Link}
                to={link.to}
                size="xs"
                onClick={() => {
                  onRead();
                  onLeave();
                }}
                data-testid="inbox-link"
              >
                {t(`inbox.link.${link.kind}`)}
              </Anchor>
            )}
          </Group>
        </Stack>
        {unread && (
          <Button size="compact-xs" variant="subtle" onClick={onRead} data-testid="inbox-mark-read">
            {t('inbox.markRead')}
          </Button>
        )}
      </Group>
    </Paper>
  );
}
