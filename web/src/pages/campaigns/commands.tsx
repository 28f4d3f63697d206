/**
 * Pause, resume, cancel: offered by the campaign's state and to senders only (the API has the
 * last word), each confirmed first in a dialog that says what it will do. The answer is the
 * campaign after the command, shown at once.
 */
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import { useSession } from '../../app/session';
import { ApiErrorAlert } from '../../components/api-error';
import { useT } from '../../i18n/i18n';
import type { Campaign } from './funnel';
import { campaignStrings } from './strings';
import { asApiError } from './use-load';

type Command = 'pause' | 'resume' | 'cancel';

const OFFERED: Record<Command, ReadonlyArray<Campaign['state']>> = {
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['scheduled', 'running', 'paused'],
};

export function CampaignCommands({
  campaign,
  onDone,
}: {
  campaign: Campaign;
  onDone: (c: Campaign) => void;
}) {
  const t = useT(campaignStrings);
  const { can } = useSession();
  const [asking, setAsking] = useState<Command | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  if (!can('sender')) return null;
  const offered = (Object.keys(OFFERED) as Command[]).filter((c) => OFFERED[c].includes(campaign.state));
  if (offered.length === 0) return null;

  const run = async (command: Command) => {
    setBusy(true);
    setError(undefined);
    try {
      const path = `/v1/campaigns/{id}/${command}` as const;
      const after = await unwrap(api.POST(path, { params: { path: { id: campaign.id } } }));
      onDone(after as Campaign);
      setAsking(undefined);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Group gap="xs">
        {offered.map((c) => (
          <Button
            key={c}
            variant={c === 'cancel' ? 'outline' : 'filled'}
            color={c === 'cancel' ? 'red.9' : undefined}
            onClick={() => {
              setError(undefined);
              setAsking(c);
            }}
          >
            {t(`command_${c}`)}
          </Button>
        ))}
      </Group>
      <Modal
        opened={asking !== undefined}
        onClose={() => setAsking(undefined)}
        title={asking ? t(`confirm_${asking}_title`, { name: campaign.name }) : ''}
        centered
      >
        {asking && (
          <Stack>
            <Text size="sm">{t(`confirm_${asking}_text`)}</Text>
            {error && <ApiErrorAlert error={error} title={t('commandFailed')} />}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setAsking(undefined)}>
                {t('keepAsIs')}
              </Button>
              <Button
                color={asking === 'cancel' ? 'red.9' : undefined}
                loading={busy}
                onClick={() => void run(asking)}
              >
                {t(`command_${asking}`)}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
