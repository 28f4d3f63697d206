/**
 * The draft on a phone, redrawn on every keystroke: as the contact receives it (white bubble,
 * the business's chat), or as the business's own sent message (green, with read ticks).
 */
import { SegmentedControl, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { MessageBubble, PhoneFrame } from '../../components/phone';
import { useT } from '../../i18n/i18n';
import type { Draft } from './draft';
import { renderDraft } from './draft-preview';
import { templateStrings } from './strings';

export function TemplatePreview({ draft }: { draft: Draft }) {
  const t = useT(templateStrings);
  const [side, setSide] = useState<'in' | 'out'>('in');
  // The time the preview was opened: a clock that ticks would redraw it for nothing.
  const [time] = useState(() => new Date());
  const message = renderDraft(draft, { copyCode: t('copyCodeLabel') });
  return (
    <Stack gap="xs" component="section" aria-labelledby="template-preview-title">
      <Text fw={600} id="template-preview-title">
        {t('preview')}
      </Text>
      <SegmentedControl
        aria-label={t('previewSide')}
        value={side}
        onChange={(v) => setSide(v as 'in' | 'out')}
        data={[
          { value: 'in', label: t('previewContact') },
          { value: 'out', label: t('previewBusiness') },
        ]}
      />
      <PhoneFrame
        name={side === 'in' ? t('previewBusinessName') : t('previewContactName')}
        subtitle={side === 'in' ? t('previewBusinessSub') : undefined}
        label={t('previewPhone')}
      >
        <MessageBubble
          {...message}
          time={time}
          direction={side}
          ticks={side === 'out' ? 'read' : undefined}
        />
      </PhoneFrame>
      <Text size="xs" c="gray.7">
        {t('previewNote')}
      </Text>
    </Stack>
  );
}
