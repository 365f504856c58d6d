import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import {
  publishRequests,
  RULE_KEYS,
  type Rule,
  type RuleMessage,
  type RuleVersion,
  rule as ruleDecoder,
} from '../api/rules.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { OutcomeBadge, PageHeader } from '../components/Common.tsx';
import { CelView } from '../components/rules/CelEditor.tsx';
import { draftFrom } from '../components/rules/DraftForm.tsx';
import { useRuleEnvironment, useRuleMessages } from '../components/rules/data.ts';
import {
  actionsFor,
  type LifeAction,
  LifecycleButtons,
  LifecycleDialog,
  LifecycleNotice,
  type LifecycleResult,
} from '../components/rules/Lifecycle.tsx';
import { RuleStateBadge, VersionBadges } from '../components/rules/labels.tsx';
import { RuleWorkbench } from '../components/rules/Workbench.tsx';
import { ErrorState, Loading, QueryView } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

function createdIn(state: unknown): string | null {
  if (typeof state !== 'object' || state === null || !('created' in state)) return null;
  return typeof state.created === 'string' ? state.created : null;
}

/** One rule: the acting version beside another, every version with its moves, and the editor for a new draft. */
export function RuleDetail() {
  const { id = '' } = useParams();
  // Another rule is another page: nothing typed for one carries over to the next.
  return <RulePage key={id} id={id} />;
}

function RulePage({ id }: { id: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const auth = useAuth();
  const location = useLocation();
  const queryClient = useQueryClient();
  const env = useRuleEnvironment();
  const messages = useRuleMessages();
  const [compare, setCompare] = useState<number | null>(null);
  const [acting, setActing] = useState<{ version: RuleVersion; action: LifeAction } | null>(null);
  const [result, setResult] = useState<LifecycleResult | null>(null);
  const created = createdIn(location.state);
  const [saved, setSaved] = useState<{ kind: 'created' } | { kind: 'saved'; version: number } | null>(
    created === id ? { kind: 'created' } : null,
  );
  const [testRequest, setTestRequest] = useState<{ version: number; nonce: number } | null>(null);

  const q = useQuery({
    queryKey: RULE_KEYS.one(id),
    queryFn: () => api.get(`/v1/risk/rules/${encodeURIComponent(id)}`, ruleDecoder),
  });
  const pending = useQuery({
    queryKey: RULE_KEYS.publishRequests,
    queryFn: () => api.get('/v1/approvals', publishRequests, { status: 'pending', limit: 200 }),
    enabled: auth.can('approval.read'),
  });
  const waiting = new Set(
    (pending.data?.approvals ?? [])
      .filter((a) => a.action === 'risk.rule.publish' && a.payload.ruleId === id)
      .map((a) => a.payload.version),
  );

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: RULE_KEYS.all }),
      queryClient.invalidateQueries({ queryKey: ['approvals'] }),
    ]);
  };

  return (
    <QueryView query={q}>
      {(r) => {
        const active = r.versions.find((v) => v.state === 'active') ?? null;
        const others = r.versions.filter((v) => v.version !== active?.version);
        const compared =
          others.find((v) => v.version === compare) ??
          others.find((v) => v.state !== 'retired') ??
          others[0] ??
          null;
        return (
          <>
            <PageHeader
              title={r.name}
              description={t('rule.subtitle', { id: r.id })}
              right={
                <Anchor component={Link} to="/rules" size="sm">
                  {t('rules.backToList')}
                </Anchor>
              }
            />
            <Stack>
              {r.description && <Text size="sm">{r.description}</Text>}
              <VersionBadges versions={r.versions} withRetired />
              {saved && (
                <Alert
                  color="green"
                  variant="light"
                  role="status"
                  withCloseButton
                  onClose={() => setSaved(null)}
                  data-testid="rule-saved"
                >
                  {saved.kind === 'created'
                    ? t('rule.editor.created', { id: r.id })
                    : t('rule.editor.saved', { version: saved.version })}
                </Alert>
              )}
              {result && <LifecycleNotice result={result} onClose={() => setResult(null)} />}

              <Title order={3} size="h4">
                {t('rule.versions')}
              </Title>
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <VersionCard
                  title={t('rule.acting')}
                  version={active}
                  empty={t('rule.noActing')}
                  messages={messages.data ?? []}
                  testId="acting-version"
                />
                <VersionCard
                  title={t('rule.compared')}
                  version={compared}
                  against={active?.expression ?? null}
                  empty={t('rule.noOther')}
                  messages={messages.data ?? []}
                  testId="compared-version"
                  right={
                    others.length > 1 ? (
                      <NativeSelect
                        size="xs"
                        aria-label={t('rule.compareWith')}
                        value={String(compared?.version ?? '')}
                        onChange={(e) => setCompare(Number(e.currentTarget.value))}
                        data={others.map((v) => ({ value: String(v.version), label: `v${v.version}` }))}
                      />
                    ) : undefined
                  }
                />
              </SimpleGrid>

              <VersionTable
                rule={r}
                waiting={waiting}
                onAct={(version, action) => setActing({ version, action })}
                onCompare={(v) => setCompare(v)}
                onTest={(v) => setTestRequest((prev) => ({ version: v, nonce: (prev?.nonce ?? 0) + 1 }))}
                compared={compared?.version ?? null}
              />

              <Title order={3} size="h4" mt="md">
                {auth.can('rule.write') ? t('rule.writeTitle') : t('rule.testTitle')}
              </Title>
              {env.isPending || messages.isPending ? (
                <Loading />
              ) : env.isError ? (
                <ErrorState error={env.error} onRetry={() => void env.refetch()} />
              ) : messages.isError ? (
                <ErrorState error={messages.error} onRetry={() => void messages.refetch()} />
              ) : (
                <RuleWorkbench
                  mode={{ kind: 'version', rule: r }}
                  initial={draftFrom(r)}
                  env={env.data}
                  messages={messages.data}
                  canWrite={auth.can('rule.write')}
                  versions={r.versions}
                  testRequest={testRequest}
                  onSaved={(next) => {
                    queryClient.setQueryData(RULE_KEYS.one(next.id), next);
                    void queryClient.invalidateQueries({ queryKey: RULE_KEYS.all, exact: true });
                    setSaved({ kind: 'saved', version: next.draftVersion });
                    setCompare(next.draftVersion);
                    window.scrollTo({ top: 0, behavior: 'smooth' });
                  }}
                />
              )}
            </Stack>
            <LifecycleDialog
              ruleId={r.id}
              acting={acting}
              onClose={() => setActing(null)}
              onDone={async (done) => {
                setActing(null);
                setSaved(null);
                setResult(done);
                if (done.kind === 'moved') setCompare(done.version);
                await refresh();
              }}
            />
          </>
        );
      }}
    </QueryView>
  );
}

function useWho(): (who: string | null) => string {
  const { t } = useI18n();
  const auth = useAuth();
  return (who) => {
    if (!who) return '—';
    if (who === 'system') return t('rule.system');
    if (who === auth.staff?.id) return t('approvals.you');
    return who;
  };
}

function VersionCard({
  title,
  version,
  against,
  empty,
  messages,
  right,
  testId,
}: {
  title: string;
  version: RuleVersion | null;
  against?: string | null;
  empty: string;
  messages: readonly RuleMessage[];
  right?: ReactNode;
  testId: string;
}) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const who = useWho();
  const textOf = (key: string) => messages.find((m) => m.key === key)?.[locale] ?? null;
  return (
    <Card withBorder data-testid={testId} data-version={version?.version ?? ''}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs">
            <Text fw={600}>{title}</Text>
            {version && (
              <>
                <Badge variant="default">{`v${version.version}`}</Badge>
                <RuleStateBadge state={version.state} />
              </>
            )}
          </Group>
          {right}
        </Group>
        {!version ? (
          <Text size="sm" c="dimmed">
            {empty}
          </Text>
        ) : (
          <>
            <SimpleGrid cols={3} spacing="xs">
              <Field label={t('rule.field.action')}>
                <OutcomeBadge outcome={version.action} />
              </Field>
              <Field label={t('rule.field.score')}>
                <Text size="sm" fw={600}>
                  {i18n.number(version.score)}
                </Text>
              </Field>
              <Field label={t('rule.field.reasonCode')}>
                <Code style={{ wordBreak: 'break-all' }}>{version.reasonCode}</Code>
              </Field>
            </SimpleGrid>
            <Field label={t('rule.field.messageKey')}>
              <Text size="sm">
                <Code>{version.messageKey}</Code> {textOf(version.messageKey)}
              </Text>
            </Field>
            {version.warningKey && (
              <Field label={t('rule.field.warningKey')}>
                <Text size="sm">
                  <Code>{version.warningKey}</Code> {textOf(version.warningKey)}
                </Text>
              </Field>
            )}
            <CelView
              expression={version.expression}
              against={against ?? null}
              testId={`${testId}-expression`}
            />
            <Text size="xs" c="dimmed">
              {t('rule.writtenBy', { who: who(version.createdBy), time: i18n.dateTime(version.createdAt) })}
              {version.publishedBy &&
                ` · ${t('rule.publishedBy', { who: who(version.publishedBy), time: i18n.dateTime(version.publishedAt) })}`}
            </Text>
          </>
        )}
      </Stack>
    </Card>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

function VersionTable({
  rule,
  waiting,
  compared,
  onAct,
  onCompare,
  onTest,
}: {
  rule: Rule;
  waiting: ReadonlySet<number | null>;
  compared: number | null;
  onAct(version: RuleVersion, action: LifeAction): void;
  onCompare(version: number): void;
  onTest(version: number): void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const who = useWho();
  return (
    <Card withBorder padding={0}>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="xs" data-testid="versions-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rule.col.version')}</Table.Th>
              <Table.Th>{t('rule.col.state')}</Table.Th>
              <Table.Th>{t('rule.field.action')}</Table.Th>
              <Table.Th ta="right">{t('rule.field.score')}</Table.Th>
              <Table.Th>{t('rule.field.reasonCode')}</Table.Th>
              <Table.Th>{t('rule.col.changed')}</Table.Th>
              <Table.Th>{t('rule.col.moves')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rule.versions.map((v) => {
              const isWaiting = waiting.has(v.version);
              return (
                <Table.Tr key={v.version} data-testid={`version-row-${v.version}`} data-state={v.state}>
                  <Table.Td>
                    <Text fw={600}>{`v${v.version}`}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <RuleStateBadge state={v.state} />
                      {isWaiting && (
                        <Badge color="blue" variant="outline" size="sm" data-testid={`waiting-${v.version}`}>
                          {t('rule.waitingApproval')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <OutcomeBadge outcome={v.action} />
                  </Table.Td>
                  <Table.Td ta="right">{i18n.number(v.score)}</Table.Td>
                  <Table.Td>
                    <Code>{v.reasonCode}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{i18n.dateTime(v.stateChangedAt ?? v.createdAt)}</Text>
                    <Text size="xs" c="dimmed">
                      {who(v.stateChangedBy ?? v.createdBy)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      {v.state !== 'active' && v.version !== compared && (
                        <Button size="compact-xs" variant="default" onClick={() => onCompare(v.version)}>
                          {t('rule.compare')}
                        </Button>
                      )}
                      <Button size="compact-xs" variant="default" onClick={() => onTest(v.version)}>
                        {t('ruleLife.test')}
                      </Button>
                      <LifecycleButtons
                        version={v}
                        actions={actionsFor(v, auth.can)}
                        onAct={(action) => onAct(v, action)}
                        pending={isWaiting}
                      />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
