import { Alert, Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { CASE_KEYS } from '../api/cases.ts';
import { newIdempotencyKey } from '../api/rules.ts';
import {
  FEEDBACK_MESSAGE_MAX,
  type FeedbackMessage,
  type FeedbackDetail as FeedbackView,
  feedbackDetail,
  SUPPORT_KEYS,
} from '../api/support.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { Assignee, useNow } from '../components/cases/labels.tsx';
import { CaseDialog } from '../components/cases/workspace.tsx';
import { DetailLayout, Field, KeyValues, RoutedDetail, Section } from '../components/Detail.tsx';
import {
  CaseRef,
  CategoryBadge,
  CustomerRef,
  EntryRef,
  FEEDBACK_CATEGORY_KEYS,
  FeedbackStatusBadge,
  FirstResponse,
  REPORT_KIND_KEYS,
  Stars,
} from '../components/support/labels.tsx';
import { useI18n } from '../i18n/index.tsx';

/** The user may write meanwhile: the conversation is read again this often. */
const FEEDBACK_REFRESH_MS = 30_000;
const LABEL_W = 170;

/** One feedback item: the conversation with the user, answering and closing it, and the rating once given. */
export function FeedbackDetail() {
  const api = useApi();
  return (
    <RoutedDetail
      queryKey={SUPPORT_KEYS.feedbackItem}
      fetch={(id) => api.get(`/v1/staff/feedback/${encodeURIComponent(id)}`, feedbackDetail)}
      refetchMs={FEEDBACK_REFRESH_MS}
    >
      {(f) => <Item f={f} />}
    </RoutedDetail>
  );
}

function Item({ f }: { f: FeedbackView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const auth = useAuth();
  const nowMs = useNow();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const canRespond = auth.can('feedback.respond') && f.status !== 'closed';

  const updated = async (next: FeedbackView, text: string) => {
    queryClient.setQueryData(SUPPORT_KEYS.feedbackItem(next.id), next);
    setNotice(text);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: SUPPORT_KEYS.all }),
      queryClient.invalidateQueries({ queryKey: CASE_KEYS.all }),
    ]);
  };

  return (
    <DetailLayout
      title={f.subject || t('feedback.noSubject')}
      description={t('feedback.subtitle', { category: t(FEEDBACK_CATEGORY_KEYS[f.category]), id: f.id })}
      back={{ to: '/feedback', label: t('feedback.back') }}
      testIdPrefix="feedback"
      status={f.status}
      notice={notice}
      onNoticeClose={() => setNotice(null)}
      main={
        <Section title={t('feedback.conversation', { count: f.messages.length })}>
          <Stack gap="sm">
            <Conversation messages={f.messages} />
            {canRespond ? (
              <Respond f={f} onDone={(next, text) => void updated(next, text)} />
            ) : f.status === 'closed' ? (
              <Text size="sm" c="dimmed" data-testid="feedback-closed-hint">
                {t('feedback.closedHint', { time: i18n.dateTime(f.closedAt) })}
              </Text>
            ) : (
              <Text size="sm" c="dimmed" data-testid="feedback-read-only">
                {t('feedback.readOnly')}
              </Text>
            )}
          </Stack>
        </Section>
      }
      side={
        <>
          <Section title={t('feedback.facts')}>
            <KeyValues>
              <Field label={t('field.status')} w={LABEL_W}>
                <FeedbackStatusBadge status={f.status} />
              </Field>
              <Field label={t('feedback.col.category')} w={LABEL_W}>
                <CategoryBadge category={f.category} />
              </Field>
              {f.report && (
                <Field label={t('feedback.report')} w={LABEL_W}>
                  {t(REPORT_KIND_KEYS[f.report])}
                </Field>
              )}
              <Field label={t('feedback.col.customer')} w={LABEL_W}>
                <CustomerRef id={f.customerId} />
              </Field>
              {f.entryId && (
                <Field label={t('dispute.transaction')} w={LABEL_W}>
                  <EntryRef id={f.entryId} />
                </Field>
              )}
              <Field label={t('feedback.col.received')} w={LABEL_W}>
                {i18n.dateTime(f.createdAt)}
              </Field>
              <Field label={t('feedback.col.firstResponse')} w={LABEL_W}>
                <FirstResponse f={f} nowMs={nowMs} />
              </Field>
              {f.firstResponderId && (
                <Field label={t('feedback.firstResponder')} w={LABEL_W}>
                  <Assignee id={f.firstResponderId} />
                </Field>
              )}
              {f.caseId && (
                <Field label={t('feedback.case')} w={LABEL_W}>
                  <CaseRef id={f.caseId} />
                </Field>
              )}
              {f.escalatedCaseId && (
                <Field label={t('feedback.escalated')} w={LABEL_W}>
                  <Stack gap={2}>
                    <Text size="sm">{i18n.dateTime(f.escalatedAt)}</Text>
                    <CaseRef id={f.escalatedCaseId} />
                  </Stack>
                </Field>
              )}
              {f.closedAt && (
                <Field label={t('feedback.closedAt')} w={LABEL_W}>
                  <Group gap={6}>
                    <Text size="sm">{i18n.dateTime(f.closedAt)}</Text>
                    {f.closedBy && <Assignee id={f.closedBy} />}
                  </Group>
                </Field>
              )}
            </KeyValues>
          </Section>
          <Section title={t('feedback.rating')}>
            {f.rating ? (
              <Stack gap={4} data-testid="feedback-rating" data-score={f.rating.score}>
                <Group gap="xs">
                  <Stars score={f.rating.score} />
                  <Text size="sm">{t('feedback.ratingScore', { score: f.rating.score })}</Text>
                </Group>
                {f.rating.comment && (
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                    {f.rating.comment}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {i18n.dateTime(f.rating.ratedAt)}
                </Text>
              </Stack>
            ) : (
              <Text size="sm" c="dimmed" data-testid="feedback-rating-none">
                {f.status === 'closed' ? t('feedback.ratingPending') : t('feedback.ratingAfterClose')}
              </Text>
            )}
          </Section>
        </>
      }
    />
  );
}

/** Messages have no id: each is keyed by its time and author, numbered when those repeat. */
function keyed(messages: FeedbackMessage[]): Array<{ m: FeedbackMessage; key: string }> {
  const seen = new Map<string, number>();
  return messages.map((m) => {
    const base = `${m.at}|${m.from}|${m.authorId}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { m, key: `${base}#${n}` };
  });
}

/** The messages, oldest first: the user's on the left, staff answers on the right. */
function Conversation({ messages }: { messages: FeedbackMessage[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (messages.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {t('feedback.noMessages')}
      </Text>
    );
  }
  return (
    <Stack gap="xs" data-testid="feedback-conversation">
      {keyed(messages).map(({ m, key }) => {
        const staff = m.from === 'staff';
        return (
          <Paper
            key={key}
            withBorder
            p="xs"
            radius="md"
            maw="85%"
            ml={staff ? 'auto' : undefined}
            bg={staff ? 'var(--mantine-primary-color-light)' : undefined}
            data-testid="feedback-message"
            data-from={m.from}
          >
            <Group gap={6} mb={2}>
              <Text size="xs" fw={600}>
                {staff ? t('feedback.fromStaff') : t('feedback.fromCustomer')}
              </Text>
              {staff && m.authorId && <Assignee id={m.authorId} />}
              <Text size="xs" c="dimmed">
                · {i18n.dateTime(m.at)}
              </Text>
            </Group>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {m.body}
            </Text>
          </Paper>
        );
      })}
    </Stack>
  );
}

/** The reply form and the close button, for users who answer feedback. */
function Respond({ f, onDone }: { f: FeedbackView; onDone(next: FeedbackView, notice: string): void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  const [closing, setClosing] = useState(false);
  const [lastWord, setLastWord] = useState('');
  const [closeKey, setCloseKey] = useState(newIdempotencyKey);

  const reply = async (e: FormEvent) => {
    e.preventDefault();
    const message = text.trim();
    if (message === '') return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.post(
        `/v1/feedback/${encodeURIComponent(f.id)}/reply`,
        feedbackDetail,
        { message },
        {
          idempotencyKey: key,
        },
      );
      setText('');
      setKey(newIdempotencyKey());
      onDone(next, t('feedback.replied'));
    } catch (err) {
      setError(i18n.errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const close = async (): Promise<string | null> => {
    const message = lastWord.trim();
    try {
      const next = await api.post(
        `/v1/feedback/${encodeURIComponent(f.id)}/close`,
        feedbackDetail,
        message === '' ? {} : { message },
        { idempotencyKey: closeKey },
      );
      onDone(next, t('feedback.closed'));
      return null;
    } catch (err) {
      return i18n.errorText(err);
    }
  };

  return (
    <>
      <form onSubmit={reply} noValidate>
        <Stack gap="xs">
          <Textarea
            label={t('feedback.replyLabel')}
            description={t('feedback.replyHint')}
            value={text}
            onChange={(e) => {
              setText(e.currentTarget.value);
              // A changed answer is a new request: a retry of the old one must not replay into it.
              setKey(newIdempotencyKey());
            }}
            autosize
            minRows={3}
            maxLength={FEEDBACK_MESSAGE_MAX}
            data-testid="feedback-reply-text"
          />
          {error && (
            <Alert color="red" variant="light" role="alert" data-testid="feedback-error">
              {error}
            </Alert>
          )}
          <Group justify="space-between">
            <Button
              variant="light"
              color="gray"
              onClick={() => {
                setLastWord('');
                setCloseKey(newIdempotencyKey());
                setClosing(true);
              }}
              data-testid="feedback-close"
            >
              {t('feedback.close')}
            </Button>
            <Button type="submit" loading={busy} disabled={text.trim() === ''} data-testid="feedback-send">
              {t('feedback.send')}
            </Button>
          </Group>
        </Stack>
      </form>
      <CaseDialog
        opened={closing}
        onClose={() => setClosing(false)}
        title={t('feedback.closeTitle')}
        description={t('feedback.closeDescription')}
        confirmLabel={t('feedback.close')}
        onSubmit={close}
      >
        <Textarea
          label={t('feedback.lastWord')}
          description={t('feedback.lastWordHint')}
          value={lastWord}
          onChange={(e) => {
            setLastWord(e.currentTarget.value);
            setCloseKey(newIdempotencyKey());
          }}
          autosize
          minRows={2}
          maxLength={FEEDBACK_MESSAGE_MAX}
          data-testid="feedback-last-word"
        />
      </CaseDialog>
    </>
  );
}
