import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  checkWebhook,
  NOTIFY_KEYS,
  topicList,
  topicPatterns,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_TOPICS_MAX,
  WEBHOOK_URL_MAX,
  type Webhook,
  type WebhookProblem,
  type WebhookWithSecret,
  webhook as webhookDecoder,
  webhookWithSecret,
} from '../../api/notify.ts';
import { newIdempotencyKey } from '../../api/rules.ts';
import { useApi, useAuth } from '../../auth/session.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Assignee } from '../cases/labels.tsx';
import { CaseDialog } from '../cases/workspace.tsx';
import { Empty } from '../States.tsx';

const PROBLEM_KEYS: Record<WebhookProblem, MessageKey> = {
  urlInvalid: 'webhooks.urlInvalid',
  urlCredentials: 'webhooks.urlCredentials',
  topicsRequired: 'webhooks.topicsRequired',
  topicsTooMany: 'webhooks.topicsTooMany',
};

/** A secret the server showed once, and what it belongs to. */
interface Shown {
  url: string;
  /** null when the answer was a replay: the secret went to the first answer. */
  secret: string | null;
  rotated: boolean;
}

type Action = { kind: 'disable' | 'rotate'; webhook: Webhook } | null;

/**
 * Webhook endpoints: where events are POSTed, signed. Users who manage them add endpoints,
 * disable or enable them and rotate their signing secret; a secret is shown once.
 */
export function WebhookEndpoints({
  webhooks,
  selected,
  onSelect,
}: {
  webhooks: Webhook[];
  selected: string | null;
  onSelect(id: string): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const manage = auth.can('notify.manage');
  const [creating, setCreating] = useState(false);
  const [action, setAction] = useState<Action>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [notice, setNotice] = useState<{ color: 'green' | 'red'; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  useEffect(() => {
    if (action !== null) setKey(newIdempotencyKey());
  }, [action]);
  const refresh = () => queryClient.invalidateQueries({ queryKey: NOTIFY_KEYS.webhooks });

  const setEnabled = async (w: Webhook, enabled: boolean, idempotencyKey: string): Promise<string | null> => {
    try {
      await api.post(
        `/v1/notify/webhooks/${encodeURIComponent(w.id)}`,
        webhookDecoder,
        { enabled },
        {
          idempotencyKey,
        },
      );
      setNotice({
        color: 'green',
        text: t(enabled ? 'webhooks.enabledNow' : 'webhooks.disabledNow', { url: w.url }),
      });
      await refresh();
      return null;
    } catch (err) {
      return i18n.errorText(err);
    }
  };
  const enable = async (w: Webhook) => {
    setBusy(w.id);
    setNotice(null);
    const message = await setEnabled(w, true, newIdempotencyKey());
    if (message) setNotice({ color: 'red', text: message });
    setBusy(null);
  };
  const rotate = async (w: Webhook): Promise<string | null> => {
    try {
      const r = await api.post(
        `/v1/notify/webhooks/${encodeURIComponent(w.id)}/rotate-secret`,
        webhookWithSecret,
        {},
        { idempotencyKey: key },
      );
      setShown({ url: r.webhook.url, secret: r.secret, rotated: true });
      await refresh();
      return null;
    } catch (err) {
      return i18n.errorText(err);
    }
  };

  return (
    <Stack gap="sm">
      {manage && (
        <Group justify="flex-end">
          <Button onClick={() => setCreating(true)} data-testid="webhook-add">
            {t('webhooks.add')}
          </Button>
        </Group>
      )}
      {notice && (
        <Alert
          color={notice.color}
          variant="light"
          role={notice.color === 'red' ? 'alert' : 'status'}
          withCloseButton
          onClose={() => setNotice(null)}
          data-testid="webhooks-notice"
        >
          {notice.text}
        </Alert>
      )}
      {webhooks.length === 0 ? (
        <Empty>{t('webhooks.none')}</Empty>
      ) : (
        <Card withBorder padding={0}>
          <Table.ScrollContainer minWidth={900}>
            <Table verticalSpacing="sm" highlightOnHover data-testid="webhooks-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('webhooks.col.endpoint')}</Table.Th>
                  <Table.Th>{t('webhooks.col.topics')}</Table.Th>
                  <Table.Th>{t('webhooks.col.state')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {webhooks.map((w) => (
                  <Table.Tr
                    key={w.id}
                    data-testid={`webhook-${w.id}`}
                    data-enabled={w.enabled ? 'true' : 'false'}
                    bg={w.id === selected ? 'var(--mantine-primary-color-light)' : undefined}
                  >
                    <Table.Td miw={300}>
                      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }} data-testid="webhook-url">
                        {w.url}
                      </Text>
                      {w.description && (
                        <Text size="xs" c="dimmed">
                          {w.description}
                        </Text>
                      )}
                      <Group gap={4}>
                        <Text size="xs" c="dimmed">
                          {t('webhooks.addedAt', { time: i18n.dateTime(w.createdAt) })}
                        </Text>
                        {w.createdBy && <Assignee id={w.createdBy} />}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {w.topics.map((p) => (
                          <Badge
                            key={p}
                            variant="outline"
                            size="sm"
                            tt="none"
                            style={{ minWidth: 'max-content' }}
                          >
                            {p === '*' ? t('webhooks.allTopics') : p}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        color={w.enabled ? 'teal' : 'gray'}
                        variant="light"
                        size="sm"
                        style={{ minWidth: 'max-content' }}
                      >
                        {t(w.enabled ? 'webhooks.enabled' : 'webhooks.disabled')}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6} justify="flex-end">
                        <Button
                          size="compact-xs"
                          variant={w.id === selected ? 'filled' : 'default'}
                          onClick={() => onSelect(w.id)}
                          data-testid={`webhook-log-${w.id}`}
                        >
                          {t('webhooks.showLog')}
                        </Button>
                        {manage &&
                          (w.enabled ? (
                            <Button
                              size="compact-xs"
                              variant="light"
                              color="gray"
                              onClick={() => setAction({ kind: 'disable', webhook: w })}
                              data-testid={`webhook-disable-${w.id}`}
                            >
                              {t('webhooks.disable')}
                            </Button>
                          ) : (
                            <Button
                              size="compact-xs"
                              variant="light"
                              loading={busy === w.id}
                              onClick={() => void enable(w)}
                              data-testid={`webhook-enable-${w.id}`}
                            >
                              {t('webhooks.enable')}
                            </Button>
                          ))}
                        {manage && (
                          <Button
                            size="compact-xs"
                            variant="light"
                            color="orange"
                            onClick={() => setAction({ kind: 'rotate', webhook: w })}
                            data-testid={`webhook-rotate-${w.id}`}
                          >
                            {t('webhooks.rotate')}
                          </Button>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Card>
      )}
      {manage && (
        <CreateDialog
          opened={creating}
          onClose={() => setCreating(false)}
          onCreated={(r) => {
            setCreating(false);
            setShown({ url: r.webhook.url, secret: r.secret, rotated: false });
            onSelect(r.webhook.id);
            void refresh();
          }}
        />
      )}
      <CaseDialog
        opened={action !== null}
        onClose={() => setAction(null)}
        title={t(action?.kind === 'rotate' ? 'webhooks.rotateTitle' : 'webhooks.disableTitle')}
        description={t(
          action?.kind === 'rotate' ? 'webhooks.rotateDescription' : 'webhooks.disableDescription',
          {
            url: action?.webhook.url ?? '',
          },
        )}
        confirmLabel={t(action?.kind === 'rotate' ? 'webhooks.rotate' : 'webhooks.disable')}
        color={action?.kind === 'rotate' ? 'orange' : 'gray'}
        onSubmit={async () => {
          if (!action) return null;
          return action.kind === 'rotate' ? rotate(action.webhook) : setEnabled(action.webhook, false, key);
        }}
      />
      <SecretModal shown={shown} onClose={() => setShown(null)} />
    </Stack>
  );
}

/** The form of a new endpoint: URL, topic patterns, a description, enabled or not. */
function CreateDialog({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose(): void;
  onCreated(r: WebhookWithSecret): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const topics = useQuery({
    queryKey: NOTIFY_KEYS.topics,
    queryFn: () => api.get('/v1/notify/topics', topicList),
    enabled: opened,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [url, setUrl] = useState('');
  const [patterns, setPatterns] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [touched, setTouched] = useState(false);
  const [key, setKey] = useState(newIdempotencyKey);
  useEffect(() => {
    if (!opened) return;
    setUrl('');
    setPatterns([]);
    setDescription('');
    setEnabled(true);
    setTouched(false);
    setKey(newIdempotencyKey());
  }, [opened]);
  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      // A changed request is a new request: a retry of the old one must not replay into it.
      setKey(newIdempotencyKey());
    };
  const input = { url, topics: patterns, description };
  const problems = checkWebhook(input);
  const urlProblem = problems.find((p) => p === 'urlInvalid' || p === 'urlCredentials');
  const topicProblem = problems.find((p) => p === 'topicsRequired' || p === 'topicsTooMany');

  const submit = async (): Promise<string | null | undefined> => {
    setTouched(true);
    if (problems.length > 0) return undefined;
    try {
      const r = await api.post(
        '/v1/notify/webhooks',
        webhookWithSecret,
        {
          url: url.trim(),
          topics: patterns,
          ...(description.trim() ? { description: description.trim() } : {}),
          enabled,
        },
        { idempotencyKey: key },
      );
      onCreated(r);
      return null;
    } catch (err) {
      return i18n.errorText(err);
    }
  };

  return (
    <CaseDialog
      opened={opened}
      onClose={onClose}
      title={t('webhooks.addTitle')}
      description={t('webhooks.addDescription')}
      confirmLabel={t('webhooks.addConfirm')}
      onSubmit={submit}
    >
      <TextInput
        label={t('webhooks.url')}
        placeholder="https://"
        value={url}
        onChange={(e) => edit(setUrl)(e.currentTarget.value)}
        error={touched && urlProblem ? t(PROBLEM_KEYS[urlProblem]) : null}
        maxLength={WEBHOOK_URL_MAX}
        required
        data-autofocus
        data-testid="webhook-url-input"
      />
      <MultiSelect
        label={t('webhooks.topics')}
        description={t('webhooks.topicsHint', { max: WEBHOOK_TOPICS_MAX })}
        data={topicPatterns(topics.data ?? []).map((p) => ({
          value: p,
          label: p === '*' ? t('webhooks.allTopics') : p,
        }))}
        value={patterns}
        onChange={edit(setPatterns)}
        searchable
        maxValues={WEBHOOK_TOPICS_MAX}
        error={touched && topicProblem ? t(PROBLEM_KEYS[topicProblem], { max: WEBHOOK_TOPICS_MAX }) : null}
        nothingFoundMessage={topics.isError ? i18n.errorText(topics.error) : t('state.empty')}
        required
        data-testid="webhook-topics-input"
      />
      <TextInput
        label={t('webhooks.description')}
        value={description}
        onChange={(e) => edit(setDescription)(e.currentTarget.value)}
        maxLength={WEBHOOK_DESCRIPTION_MAX}
        data-testid="webhook-description-input"
      />
      <Switch
        label={t('webhooks.enabledNew')}
        checked={enabled}
        onChange={(e) => edit(setEnabled)(e.currentTarget.checked)}
      />
    </CaseDialog>
  );
}

/** The signing secret, once: copy it now, it is never shown again. */
function SecretModal({ shown, onClose }: { shown: Shown | null; onClose(): void }) {
  const { t } = useI18n();
  return (
    <Modal
      opened={shown !== null}
      onClose={onClose}
      title={t(shown?.rotated ? 'webhooks.secretRotatedTitle' : 'webhooks.secretTitle')}
      centered
      size="lg"
      closeOnClickOutside={false}
    >
      {shown && (
        <Stack data-testid="webhook-secret-dialog">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {t('webhooks.secretFor', { url: shown.url })}
          </Text>
          {shown.secret === null ? (
            <Alert color="gray" variant="light" data-testid="webhook-secret-replayed">
              {t('webhooks.secretReplayed')}
            </Alert>
          ) : (
            <>
              <Alert color="yellow" variant="light" title={t('webhooks.secretOnce')}>
                {t('webhooks.secretOnceHint')}
              </Alert>
              <Group gap="xs" wrap="nowrap">
                <Code block style={{ flex: 1, overflowWrap: 'anywhere' }} data-testid="webhook-secret">
                  {shown.secret}
                </Code>
                <CopyButton value={shown.secret}>
                  {({ copied, copy }) => (
                    <Button
                      variant={copied ? 'filled' : 'default'}
                      color={copied ? 'teal' : undefined}
                      onClick={copy}
                    >
                      {copied ? t('webhooks.copied') : t('webhooks.copy')}
                    </Button>
                  )}
                </CopyButton>
              </Group>
            </>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose} data-testid="webhook-secret-done">
              {t(shown.secret === null ? 'webhooks.close' : 'webhooks.secretStored')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
