import { Alert, Stack } from '@mantine/core';
import { useState } from 'react';
import type { EvidenceFile } from '../../api/support.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { downloadFile, FileList } from '../FileList.tsx';

/** The files the user sent as evidence, with their size and SHA-256, each downloadable. */
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
      await downloadFile(
        api,
        `/v1/staff/disputes/${encodeURIComponent(disputeId)}/attachments/${encodeURIComponent(file.id)}`,
        file.filename,
      );
    } catch (err) {
      setError(i18n.errorText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack gap="xs">
      <FileList
        files={files}
        empty={t('dispute.evidenceNone')}
        testId="evidence"
        busyId={busy}
        onDownload={(f) => void download(f)}
      />
      {error && (
        <Alert color="red" variant="light" role="alert" data-testid="evidence-error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
