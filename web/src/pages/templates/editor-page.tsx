/**
 * A template's page: new (/templates/new) or stored (/templates/{name}/{language}). The form on
 * one side, the phone preview on the other (under it on a phone-sized screen); lint findings
 * beside their fields as the operator types; push for review; the stored template's status,
 * quality, rejection reason and history, kept current by the template.* events.
 */
import { Alert, Anchor, Center, Grid, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link as RouterLink, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../app/session';
import { ApiErrorAlert } from '../../components/api-error';
import { type StreamEvent, useEventStream } from '../../events/use-event-stream';
import { useLanguage, useT } from '../../i18n/i18n';
import { accountQuery, accountSuffix, useAccountParam } from './account';
import { QualityBadge, StatusBadge, useRejectionText } from './badges';
import { type Draft, fieldOfPath, fromTemplate, newDraft, toTemplate } from './draft';
import { EditorForm } from './editor-form';
import { HistorySection } from './history';
import { TEMPLATE_EVENTS } from './list-page';
import { PushPanel } from './push-panel';
import { EDIT_ROLE } from './roles';
import { templateStrings } from './strings';
import { TemplatePreview } from './template-preview';
import { useHistory } from './use-history';
import { type Finding, useLint } from './use-lint';
import { useLoad } from './use-load';

const PENDING_POLL_MS = 3_000;
const HISTORY_PAGE = 100;

export function TemplateEditorPage() {
  const t = useT(templateStrings);
  const { language: uiLanguage } = useLanguage();
  const { can, user } = useSession();
  const params = useParams();
  const navigate = useNavigate();
  const account = useAccountParam();
  const rejection = useRejectionText();
  const stored = params.name !== undefined && params.language !== undefined;
  const name = params.name;
  const language = params.language;

  const template = useLoad(async () => {
    if (!name || !language) return undefined;
    return unwrap(
      api.GET('/v1/templates/{name}/{language}', {
        params: { path: { name, language }, query: accountQuery(account) },
      }),
    );
  }, [name, language, account]);
  const [historyLimit, setHistoryLimit] = useState(HISTORY_PAGE);
  const history = useHistory(name, language, account, historyLimit);

  const [draft, setDraft] = useState<Draft | undefined>(() =>
    stored ? undefined : newDraft(uiLanguage === 'es' ? 'es' : 'en_US'),
  );
  // A stored template fills the form once; later reloads (review, quality) update only the badges.
  const loadedKey = template.data ? `${template.data.name}/${template.data.language}` : undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a different template resets the form
  useEffect(() => {
    if (template.data) setDraft(fromTemplate(template.data));
  }, [loadedKey]);

  const onEvent = useCallback(
    (e: StreamEvent) => {
      const d = e.data as { data?: { name?: string; language?: string } } | undefined;
      if (d?.data?.name === name && d?.data?.language === language) {
        template.reload();
        history.reload();
      }
    },
    [name, language, template.reload, history.reload],
  );
  useEventStream(TEMPLATE_EVENTS, onEvent);
  const pending = template.data?.status === 'PENDING';
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => {
      template.reload();
      history.reload();
    }, PENDING_POLL_MS);
    return () => clearInterval(timer);
  }, [pending, template.reload, history.reload]);

  const built = useMemo(() => (draft ? toTemplate(draft) : undefined), [draft]);
  const lint = useLint(built?.template ?? {}, account);
  const findingsOf = useMemo(() => {
    const by = new Map<string, Finding[]>();
    if (draft && built) {
      for (const f of lint.findings) {
        const field = fieldOfPath(f.path, built.paths, draft);
        by.set(field, [...(by.get(field) ?? []), f]);
      }
    }
    return (field: string) => by.get(field) ?? [];
  }, [lint.findings, built, draft]);
  const errors = lint.findings.filter((f) => f.severity === 'error').length;
  const warnings = lint.findings.length - errors;
  const readOnly = !can(EDIT_ROLE);
  const lastRejection = [...(history.data?.data ?? [])]
    .reverse()
    .find((e) => e.change === 'status' && e.to === 'REJECTED');

  if (stored && template.error) {
    return (
      <Stack>
        <Anchor component={RouterLink} to={`/templates${accountSuffix(account)}`}>
          {t('backToList')}
        </Anchor>
        <ApiErrorAlert error={template.error} title={t('loadOneFailed')} />
      </Stack>
    );
  }
  if (!draft || !built) {
    return (
      <Center p="xl">
        <Loader aria-label={t('loading')} />
      </Center>
    );
  }

  const current = template.data;
  return (
    <Stack>
      <Anchor component={RouterLink} to={`/templates${accountSuffix(account)}`} w="fit-content">
        {t('backToList')}
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {stored ? `${name} (${language})` : t('newTemplate')}
          </Title>
          {current && (
            <Group gap="xs">
              <StatusBadge status={current.status} />
              <QualityBadge score={current.quality_score} />
            </Group>
          )}
        </Stack>
      </Group>
      {(current?.status === 'PAUSED' || current?.status === 'DISABLED') && (
        <Alert color="orange" title={t(current.status === 'PAUSED' ? 'pausedTitle' : 'disabledTitle')}>
          {t(current.status === 'PAUSED' ? 'pausedHelp' : 'disabledHelp')}
        </Alert>
      )}
      {current && (current.status === 'REJECTED' || current.rejected_reason) && (
        <Alert color="red" title={t('rejectedTitle')}>
          {current.rejected_reason && <Text size="sm">{rejection(current.rejected_reason)}</Text>}
          {lastRejection?.details && <Text size="sm">{lastRejection.details}</Text>}
          <Text size="sm">{t('rejectedHelp')}</Text>
        </Alert>
      )}
      {readOnly && (
        <Alert color="gray" title={t('readOnlyTitle')}>
          {t('readOnly', { role: user?.role ?? 'viewer' })}
        </Alert>
      )}
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <Text size="sm" role="status" aria-live="polite" c="gray.7">
              {lint.checking
                ? t('linting')
                : lint.error
                  ? ''
                  : errors + warnings === 0
                    ? t('lintClean')
                    : t('lintSummary', { errors, warnings })}
            </Text>
            {lint.error && <ApiErrorAlert error={lint.error} title={t('lintFailed')} />}
            <EditorForm
              draft={draft}
              onChange={setDraft}
              fixedKey={stored}
              readOnly={readOnly}
              findingsOf={findingsOf}
            />
            <PushPanel
              template={built.template}
              account={account}
              lintErrors={errors}
              checking={lint.checking}
              onPushed={(r) => {
                if (stored) {
                  template.reload();
                  history.reload();
                } else {
                  navigate(
                    `/templates/${encodeURIComponent(r.name)}/${encodeURIComponent(r.language)}${accountSuffix(account)}`,
                  );
                }
              }}
            />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <div style={{ position: 'sticky', top: 72 }}>
            <TemplatePreview draft={draft} />
          </div>
        </Grid.Col>
      </Grid>
      {stored && (
        <HistorySection
          history={history}
          onMore={() => setHistoryLimit((n) => Math.min(500, n + HISTORY_PAGE))}
        />
      )}
    </Stack>
  );
}
