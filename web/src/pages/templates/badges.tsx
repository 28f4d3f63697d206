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

/** A review status in words ("Pending review"), or Meta's code when it is one we have no words for. */
export function useStatusLabel() {
  const t = useT(templateStrings);
  return (status: string) => {
    const key = statusKey(status);
    return key ? t(key) : status;
  };
}

export function StatusBadge({ status }: { status: string }) {
  const label = useStatusLabel();
  return (
    <Badge variant="dot" color={STATUS_COLOR[status] ?? 'gray'} data-status={status}>
      {label(status)}
    </Badge>
  );
}

const QUALITY: Record<string, { color: string; key: 'qualityHigh' | 'qualityMedium' | 'qualityLow' }> = {
  GREEN: { color: 'green', key: 'qualityHigh' },
  YELLOW: { color: 'yellow', key: 'qualityMedium' },
  RED: { color: 'red', key: 'qualityLow' },
};

export function useQualityLabel() {
  const t = useT(templateStrings);
  return (score: string | null) => {
    const q = score ? QUALITY[score] : undefined;
    return q ? t(q.key) : t('qualityUnknown');
  };
}

export function QualityBadge({ score }: { score: string | null }) {
  const label = useQualityLabel();
  return (
    <Badge variant="dot" color={(score && QUALITY[score]?.color) || 'gray'} data-quality={score ?? 'none'}>
      {label(score)}
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
