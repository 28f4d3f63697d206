/**
 * Submitting the template for Meta's review, as `recontact templates push` does: first the plan
 * (POST /v1/templates/diff: create, update with each changed field, unchanged, or why Meta would
 * refuse the edit), then, confirmed, the push (POST /v1/templates/push) and its result: PENDING
 * until Meta's review arrives, or Meta's refusal with its message and hint.
 */
import { Alert, Button, Code, Group, List, Modal, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { ApiErrorAlert } from '../../components/api-error';
import { useT } from '../../i18n/i18n';
import { accountQuery } from './account';
import { PUSH_ROLE } from './roles';
import { templateStrings } from './strings';
import { asApiError } from './use-load';

type Diff = components['schemas']['TemplateDiff'];
type Push = components['schemas']['TemplatePush'];
type PushResult = Push['results'][number];

export interface PushPanelProps {
  template: Record<string, unknown>;
  account: string | undefined;
  /** Lint errors in the draft: Meta would refuse it, and push refuses it first. */
  lintErrors: number;
  checking: boolean;
  onPushed(result: PushResult): void;
}

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

export function PushPanel({ template, account, lintErrors, checking, onPushed }: PushPanelProps) {
  const t = useT(templateStrings);
  const { can } = useSession();
  const [plan, setPlan] = useState<Diff | undefined>(undefined);
  const [busy, setBusy] = useState<'diff' | 'push' | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [result, setResult] = useState<PushResult | undefined>(undefined);
  const allowed = can(PUSH_ROLE);
  const blockedBy = !allowed
    ? t('needsAdminPush')
    : lintErrors > 0
      ? t('fixErrorsFirst', { count: lintErrors })
      : undefined;
  const entry = plan?.plan.entries.find((e) => e.name === template.name && e.language === template.language);

  async function review() {
    setBusy('diff');
    setError(undefined);
    setResult(undefined);
    try {
      setPlan(
        await unwrap(
          api.POST('/v1/templates/diff', {
            body: { templates: [template] },
            params: { query: accountQuery(account) },
          }),
        ),
      );
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(undefined);
    }
  }

  async function push() {
    setBusy('push');
    setError(undefined);
    try {
      const res = await unwrap(
        api.POST('/v1/templates/push', {
          body: { templates: [template] },
          params: { query: accountQuery(account) },
        }),
      );
      const mine = res.results.find((r) => r.name === template.name && r.language === template.language);
      setPlan(undefined);
      if (mine) {
        setResult(mine);
        if (mine.outcome !== 'failed') onPushed(mine);
      }
    } catch (e) {
      setPlan(undefined);
      setError(asApiError(e));
    } finally {
      setBusy(undefined);
    }
  }

  const actionText = entry
    ? entry.action === 'create'
      ? t('planCreate')
      : entry.action === 'update'
        ? t('planUpdate', { count: entry.changes.length })
        : entry.action === 'unchanged'
          ? t('planUnchanged')
          : t('planOnlyAtMeta')
    : '';

  return (
    <Stack gap="xs">
      <Group>
        <Button
          onClick={review}
          loading={busy === 'diff'}
          disabled={!!blockedBy || checking}
          {...(blockedBy ? { 'aria-describedby': 'push-blocked' } : {})}
        >
          {t('submitForReview')}
        </Button>
      </Group>
      {blockedBy && (
        <Text size="sm" c="gray.7" id="push-blocked">
          {blockedBy}
        </Text>
      )}
      {error && <ApiErrorAlert error={error} title={t('pushFailed')} />}
      {result && result.outcome !== 'failed' && (
        <Alert color="green" title={t('pushedTitle')} role="status">
          {t(result.outcome === 'unchanged' ? 'pushedUnchanged' : 'pushedPending', {
            status: result.status ?? '—',
          })}
        </Alert>
      )}
      {result?.outcome === 'failed' && result.error && (
        <ApiErrorAlert
          error={
            new ApiError(0, result.error.code, result.error.message, result.error.hint, result.error.details)
          }
          title={t('metaRefused')}
        />
      )}
      <Modal opened={!!plan} onClose={() => setPlan(undefined)} title={t('planTitle')} size="lg">
        {plan && (
          <Stack>
            <Text>{actionText}</Text>
            {entry && entry.changes.length > 0 && (
              <Table.ScrollContainer minWidth={420}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">{t('planField')}</Table.Th>
                      <Table.Th scope="col">{t('planAtMeta')}</Table.Th>
                      <Table.Th scope="col">{t('planYours')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {entry.changes.map((c) => (
                      <Table.Tr key={c.path}>
                        <Table.Td>
                          <Code>{c.path}</Code>
                        </Table.Td>
                        <Table.Td>{c.inline ?? show(c.before)}</Table.Td>
                        <Table.Td>{c.inline ? '' : show(c.after)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {entry && entry.notes.length > 0 && (
              <List size="sm">
                {entry.notes.map((n) => (
                  <List.Item key={n}>{n}</List.Item>
                ))}
              </List>
            )}
            {entry?.blocked && (
              <Alert color="red" title={t('planBlocked')}>
                {entry.blocked}
              </Alert>
            )}
            {plan.lint.warnings > 0 && (
              <Text size="sm">{t('planWarnings', { count: plan.lint.warnings })}</Text>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPlan(undefined)}>
                {t('cancel')}
              </Button>
              <Button
                onClick={push}
                loading={busy === 'push'}
                disabled={!entry || entry.action === 'unchanged' || !!entry.blocked}
              >
                {t('pushToMeta')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
