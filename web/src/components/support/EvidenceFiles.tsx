import { Alert, Button, Code, Group, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { useState } from 'react';
import type { EvidenceFile } from '../../api/support.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';

/** A size in the reader's locale: "12 kB", "1.5 MB". */
export function sizeText(locale: string, bytes: number): string {
  const [value, unit] =
    bytes >= 1024 * 1024
      ? [bytes / (1024 * 1024), 'megabyte']
      : bytes >= 1024
        ? [bytes / 1024, 'kilobyte']
        : [bytes, 'byte'];
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit,
    unitDisplay: 'narrow',
    maximumFractionDigits: 1,
  }).format(value);
}

/**
 * The files the user sent as evidence, with their size and SHA-256. The download goes
 * through the signed-in client (the token travels in a header, so a plain link cannot).
 */
export function EvidenceFiles({ disputeId, files }: { disputeId: string; files: EvidenceFile[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const download = async (file: EvidenceFile) => {
    setError(null);
    setBusy(file.id);
    try {
      const blob = await api.download(
        `/v1/staff/disputes/${encodeURIComponent(disputeId)}/attachments/${encodeURIComponent(file.id)}`,
      );
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = file.filename;
      document.body.append(a);
      a.click();
      a.remove();
      // The browser has started the download; the object URL is no longer needed after this turn.
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (err) {
      setError(i18n.errorText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack gap="xs">
      {files.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('dispute.evidenceNone')}
        </Text>
      ) : (
        files.map((f) => (
          <Paper key={f.id} withBorder p="xs" radius="sm" data-testid={`evidence-${f.id}`}>
            <Group justify="space-between" wrap="nowrap" gap="xs">
              <Stack gap={2} style={{ minWidth: 0 }}>
                <Text size="sm" fw={600} truncate>
                  {f.filename}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('case.attachmentMeta', {
                    size: sizeText(i18n.locale, f.sizeBytes),
                    time: i18n.dateTime(f.createdAt),
                  })}
                </Text>
                <Tooltip label={f.sha256}>
                  <Code style={{ width: 'fit-content' }} data-testid="evidence-sha256">
                    {`SHA-256 ${f.sha256.slice(0, 16)}…`}
                  </Code>
                </Tooltip>
              </Stack>
              <Button
                size="compact-xs"
                variant="default"
                loading={busy === f.id}
                onClick={() => void download(f)}
                aria-label={t('case.download', { name: f.filename })}
                data-testid={`download-${f.id}`}
              >
                {t('case.downloadButton')}
              </Button>
            </Group>
          </Paper>
        ))
      )}
      {error && (
        <Alert color="red" variant="light" role="alert" data-testid="evidence-error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
