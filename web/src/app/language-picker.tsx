import { NativeSelect } from '@mantine/core';
import { type Language, useLanguage, useT } from '../i18n/i18n';
import { shellStrings } from './strings';

export function LanguagePicker() {
  const t = useT(shellStrings);
  const { language, setLanguage } = useLanguage();
  return (
    <NativeSelect
      label={t('language')}
      size="xs"
      value={language}
      onChange={(e) => setLanguage(e.currentTarget.value as Language)}
      data={[
        { value: 'en', label: 'English' },
        { value: 'es', label: 'Español' },
      ]}
    />
  );
}
