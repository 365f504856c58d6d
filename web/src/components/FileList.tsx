import { Button, Code, Group, Paper, Stack, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import type { ApiClient } from '../api/client.ts';
import { useI18n } from '../i18n/index.tsx';

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
 * Fetches a file through the signed-in client and hands it to the browser under its name
 * (the token travels in a header, so a plain link cannot). A failure is thrown to the caller.
 */
export async function downloadFile(api: ApiClient, path: string, filename: string): Promise<void> {
  const blob = await api.download(path);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has started the download; the object URL is no longer needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export interface ListedFile {
  id: string;
  filename: string;
  sizeBytes: number;
  createdAt: string | null;
  sha256: string;
}

/** Stored files with their size, time and SHA-256, each with a download button. */
export function FileList<F extends ListedFile>({
  files,
  empty,
  testId,
  busyId = null,
  onDownload,
}: {
  files: readonly F[];
  empty: ReactNode;
  /** The prefix of each row's test id and of its checksum's ("evidence", "attachment"). */
  testId: string;
  /** The file being downloaded, when the caller shows it. */
  busyId?: string | null;
  onDownload: (file: F) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  if (files.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {empty}
      </Text>
    );
  }
  return files.map((f) => (
    <Paper key={f.id} withBorder p="xs" radius="sm" data-testid={`${testId}-${f.id}`}>
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
            <Code style={{ width: 'fit-content' }} data-testid={`${testId}-sha256`}>
              {`SHA-256 ${f.sha256.slice(0, 16)}…`}
            </Code>
          </Tooltip>
        </Stack>
        <Button
          size="compact-xs"
          variant="default"
          loading={busyId === f.id}
          onClick={() => onDownload(f)}
          aria-label={t('case.download', { name: f.filename })}
          data-testid={`download-${f.id}`}
        >
          {t('case.downloadButton')}
        </Button>
      </Group>
    </Paper>
  ));
}
