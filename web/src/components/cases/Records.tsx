import { Alert, Button, FileInput, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { attachAnswer, bytesToBase64, type CaseDetail, caseDetail } from '../../api/cases.ts';
import { ApiError } from '../../api/errors.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { downloadFile, FileList } from '../FileList.tsx';
import { Actor } from './labels.tsx';
import type { CaseRun } from './workspace.tsx';

/** The server's longest note. */
const NOTE_MAX = 5000;
/** The largest file the console sends (the server may accept less: it says so). */
const ATTACHMENT_BYTES_MAX = 5 * 1024 * 1024;

/** The notes on the timeline, newest first, and a form to add one. */
export function Notes({ c, canWork, run }: { c: CaseDetail; canWork: boolean; run: CaseRun }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notes = c.timeline.filter((e) => e.type === 'note' && e.detail.text).reverse();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const note = text.trim();
    if (note === '') return;
    setBusy(true);
    const message = await run(
      () =>
        api.post(`/v1/cases/${encodeURIComponent(c.id)}/notes`, caseDetail, {
          text: note,
          version: c.version,
        }),
      () => ({ color: 'green', text: t('case.noteAdded') }),
    );
    setBusy(false);
    setError(message);
    if (message === null) setText('');
  };
  return (
    <Stack gap="xs">
      {canWork && c.status !== 'closed' && (
        <form onSubmit={submit} noValidate>
          <Stack gap="xs">
            <Textarea
              aria-label={t('case.noteAdd')}
              placeholder={t('case.notePlaceholder')}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={NOTE_MAX}
              data-testid="note-text"
            />
            {error && (
              <Alert color="red" variant="light" role="alert" data-testid="note-error">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button type="submit" size="xs" loading={busy} disabled={text.trim() === ''}>
                {t('case.noteAdd')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      {notes.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('case.notesNone')}
        </Text>
      ) : (
        notes.map((n) => (
          <Paper key={n.id} withBorder p="xs" radius="sm" data-testid="case-note">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {n.detail.text}
            </Text>
            <Group gap={4} mt={4}>
              <Actor actor={n.actor} />
              <Text size="xs" c="dimmed">
                · {i18n.dateTime(n.at)}
              </Text>
            </Group>
          </Paper>
        ))
      )}
    </Stack>
  );
}

/** Files on the case with their size and SHA-256, each downloadable; a file is added as base64. */
export function Attachments({ c, canWork, run }: { c: CaseDetail; canWork: boolean; run: CaseRun }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const upload = async () => {
    if (!file) return;
    if (file.size > ATTACHMENT_BYTES_MAX) {
      setError(i18n.errorText(new ApiError('CASE_ATTACHMENT_TOO_LARGE', 413, `${file.size} bytes`)));
      return;
    }
    setBusy(true);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const message = await run(
      () =>
        api.post(`/v1/cases/${encodeURIComponent(c.id)}/attachments`, attachAnswer, {
          filename: file.name,
          contentBase64: bytesToBase64(bytes),
        }),
      () => ({ color: 'green', text: t('case.attached', { name: file.name }) }),
    );
    setBusy(false);
    setError(message);
    if (message === null) setFile(null);
  };

  const download = async (attachmentId: string, filename: string) => {
    setError(null);
    try {
      await downloadFile(
        api,
        `/v1/cases/${encodeURIComponent(c.id)}/attachments/${encodeURIComponent(attachmentId)}`,
        filename,
      );
    } catch (err) {
      setError(i18n.errorText(err));
    }
  };

  return (
    <Stack gap="xs">
      <FileList
        files={c.attachments}
        empty={t('case.attachmentsNone')}
        testId="attachment"
        onDownload={(a) => void download(a.id, a.filename)}
      />
      {canWork && c.status !== 'closed' && (
        <Group align="flex-end" gap="xs" wrap="nowrap">
          <FileInput
            label={t('case.attach')}
            description={t('case.attachHint')}
            value={file}
            onChange={setFile}
            accept="image/png,image/jpeg,application/pdf,text/plain"
            clearable
            style={{ flex: 1 }}
            data-testid="attachment-input"
          />
          <Button onClick={() => void upload()} loading={busy} disabled={!file} variant="default">
            {t('case.upload')}
          </Button>
        </Group>
      )}
      {error && (
        <Alert color="red" variant="light" role="alert" data-testid="attachment-error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
