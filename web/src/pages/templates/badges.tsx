/**
 * A template's review status and quality as badges. The label is always words (never colour
 * alone); the dot's colour follows WhatsApp Manager's: green approved, yellow pending, red
 * rejected, orange paused, grey for the rest.
 */
import { Badge } from '@mantine/core';
import { useT } from '../../i18n/i18n';
import { templateStrings } from './strings';

const STATUS_COLOR: Record<string, string> = {
  APPROVED: 'green',
  PENDING: 'yellow',
  IN_APPEAL: 'yellow',
  REJECTED: 'red',
  PAUSED: 'orange',
  FLAGGED: 'orange',
  DISABLED: 'gray',
  DELETED: 'gray',
  PENDING_DELETION: 'gray',
};

type StatusKey = keyof (typeof templateStrings)['en'];

/** The catalogue key of a status's label, when it has one. */
function statusKey(status: string): StatusKey | undefined {
  const key = `status_${status}` as StatusKey;
  return key in templateStrings.en ? key : undefined;
}

export function StatusBadge({ status }: { status: string }) {
  const t = useT(templateStrings);
  const key = statusKey(status);
  return (
    <Badge variant="dot" color={STATUS_COLOR[status] ?? 'gray'} data-status={status}>
      {key ? t(key) : status}
    </Badge>
  );
}

const QUALITY: Record<string, { color: string; key: 'qualityHigh' | 'qualityMedium' | 'qualityLow' }> = {
  GREEN: { color: 'green', key: 'qualityHigh' },
  YELLOW: { color: 'yellow', key: 'qualityMedium' },
  RED: { color: 'red', key: 'qualityLow' },
};

export function QualityBadge({ score }: { score: string | null }) {
  const t = useT(templateStrings);
  const q = score ? QUALITY[score] : undefined;
  return (
    <Badge variant="dot" color={q?.color ?? 'gray'} data-quality={score ?? 'none'}>
      {q ? t(q.key) : t('qualityUnknown')}
    </Badge>
  );
}

/** Meta's rejection reason, with what it means when it is one of Meta's documented codes. */
export function useRejectionText() {
  const t = useT(templateStrings);
  return (reason: string) => {
    const key = `reason_${reason}` as StatusKey;
    return key in templateStrings.en ? `${reason}: ${t(key)}` : reason;
  };
}
