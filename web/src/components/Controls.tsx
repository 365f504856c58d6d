import {
  ActionIcon,
  SegmentedControl,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { isLocale, useI18n } from '../i18n/index.tsx';

/** English / 中文; the choice is remembered across reloads. */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('app.language')}
      value={locale}
      onChange={(v) => {
        if (isLocale(v)) setLocale(v);
      }}
      data={[
        { value: 'en', label: 'English' },
        { value: 'zh-CN', label: '中文' },
      ]}
      data-testid="language-switch"
    />
  );
}

export function ThemeToggle() {
  const { t } = useI18n();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const label = scheme === 'dark' ? t('app.themeLight') : t('app.themeDark');
  return (
    <Tooltip label={label}>
      <ActionIcon
        variant="default"
        size="lg"
        aria-label={label}
        onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
      >
        <span aria-hidden>{scheme === 'dark' ? '☀' : '☾'}</span>
      </ActionIcon>
    </Tooltip>
  );
}
