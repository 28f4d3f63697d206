import { Badge } from '@mantine/core';
import type { components } from '../../api/schema';
import { useT } from '../../i18n/i18n';
import { campaignStrings } from './strings';

export type CampaignState = components['schemas']['Campaign']['state'];

// Shade 9 (grey 7): white text on them keeps WCAG AA's 4.5:1.
const COLOR: Record<CampaignState, string> = {
  draft: 'gray.7',
  scheduled: 'blue.9',
  running: 'teal.9',
  paused: 'grape.9',
  completed: 'indigo.9',
  cancelled: 'gray.7',
  expired: 'gray.7',
  failed_to_start: 'red.9',
};

export const FINISHED: ReadonlySet<CampaignState> = new Set([
  'completed',
  'cancelled',
  'expired',
  'failed_to_start',
]);

export function StateBadge({ state }: { state: CampaignState }) {
  const t = useT(campaignStrings);
  return <Badge color={COLOR[state]}>{t(`state_${state}`)}</Badge>;
}
