/**
 * The campaign wizard: template → audience → values → schedule → plan and launch. The draft is
 * saved through the API when the template step is done (POST /v1/campaigns), and again at each
 * step (PUT), so a reload — or another operator opening the link — finds it where it was left:
 * /campaigns/{id}/edit?step=N. The API checks the definition whole and names every problem with
 * its path; the wizard shows them and stays on the step.
 */
import { Alert, Anchor, Button, Group, Loader, Stack, Stepper, Title } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { Link, Navigate, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import type { ApiError } from '../../../api/errors';
import { useSession } from '../../../app/session';
import { ApiErrorAlert } from '../../../components/api-error';
import { useT } from '../../../i18n/i18n';
import { campaignStrings } from '../strings';
import { asApiError, useLoad } from '../use-load';
import { AudienceStep } from './audience-step';
import { definitionOf, emptyWizard, unset, type WizardState, wizardOf } from './draft';
import { MappingStep } from './mapping-step';
import { PlanStep } from './plan-step';
import { ScheduleStep } from './schedule-step';
import { type Template, templateSlots } from './slots';
import { wizardStrings } from './strings';
import { TemplateStep } from './template-step';

const STEPS = ['stepTemplate', 'stepAudience', 'stepValues', 'stepSchedule', 'stepPlan'] as const;

export function WizardPage() {
  const t = useT(wizardStrings);
  const tc = useT(campaignStrings);
  const { id } = useParams();
  const { can } = useSession();
  const draft = useLoad(
    async () => (id ? unwrap(api.GET('/v1/campaigns/{id}', { params: { path: { id } } })) : undefined),
    [id],
  );
  if (!can('sender')) return <Alert color="gray">{t('sendersOnly')}</Alert>;
  if (id && draft.error) return <ApiErrorAlert error={draft.error} title={tc('loadFailed')} />;
  if (id && !draft.data) return <Loader aria-label={tc('loading')} />;
  if (draft.data && draft.data.state !== 'draft')
    return <Navigate to={`/campaigns/${draft.data.id}`} replace />;
  return (
    <Wizard
      key={id ?? 'new'}
      id={id}
      initial={draft.data ? wizardOf(draft.data.definition) : emptyWizard()}
    />
  );
}

function Wizard({ id, initial }: { id: string | undefined; initial: WizardState }) {
  const t = useT(wizardStrings);
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [w, setW] = useState<WizardState>(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const step = id ? Math.min(Math.max(Number(params.get('step') ?? 0) || 0, 0), STEPS.length - 1) : 0;

  const templates = useLoad(
    async () =>
      (
        await unwrap(
          api.GET('/v1/templates', { params: { query: w.accountId ? { account_id: w.accountId } : {} } }),
        )
      ).data,
    [w.accountId],
  );
  const template: Template | undefined = templates.data?.find(
    (x) => x.name === w.template?.name && x.language === w.template?.language,
  );
  const slots = useMemo(() => (template ? templateSlots(template) : []), [template]);
  const update = useCallback((patch: Partial<WizardState>) => setW((s) => ({ ...s, ...patch })), []);

  /** What stops the step from being done, in the operator's words; undefined when it can go on. */
  const blocker = (): string | undefined => {
    if (step === 0) {
      if (!w.template && !w.split) return t('pickTemplate');
      if (!w.name.trim()) return t('nameNeeded');
    }
    if (step === 1 && w.audience.kind === 'saved' && !w.audience.id) return t('pickAudience');
    if (step === 2)
      for (const s of slots) {
        if (!s.optional && unset(w.values[s.key])) return t('valueNeeded', { slot: s.label });
      }
    return undefined;
  };

  /** Saves the draft (creating it the first time); true when the API took it. */
  const save = async (): Promise<string | undefined> => {
    setSaving(true);
    setError(undefined);
    try {
      const body = definitionOf(w, slots);
      const saved = id
        ? await unwrap(api.PUT('/v1/campaigns/{id}', { params: { path: { id } }, body }))
        : await unwrap(api.POST('/v1/campaigns', { body }));
      return saved.id;
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setSaving(false);
    }
  };

  const go = async (to: number) => {
    setProblem(undefined);
    if (to > step) {
      const why = blocker();
      if (why) {
        setProblem(why);
        return;
      }
    }
    const saved = await save();
    if (!saved) return;
    if (!id) navigate(`/campaigns/${saved}/edit?step=${to}`, { replace: true });
    else setParams({ step: String(to) });
  };

  return (
    <Stack gap="lg">
      <Anchor component={Link} to="/campaigns" size="sm">
        ← {t('backToCampaigns')}
      </Anchor>
      <Title order={1}>{id ? t('editTitle', { name: w.name || t('untitled') }) : t('newTitle')}</Title>
      <Stepper active={step} onStepClick={(i) => void go(i)} allowNextStepsSelect={false} size="sm" wrap>
        {STEPS.map((s) => (
          <Stepper.Step key={s} label={t(s)} />
        ))}
      </Stepper>
      {w.split && <Alert color="gray">{t('splitNote')}</Alert>}
      {step === 0 && (
        <TemplateStep state={w} update={update} templates={templates.data} templatesError={templates.error} />
      )}
      {step === 1 && <AudienceStep state={w} update={update} template={template} />}
      {step === 2 && <MappingStep state={w} update={update} template={template} slots={slots} />}
      {step === 3 && <ScheduleStep state={w} update={update} />}
      {step === 4 && id && <PlanStep id={id} />}
      {problem && (
        <Alert color="orange" variant="outline" role="alert">
          {problem}
        </Alert>
      )}
      {error && <ApiErrorAlert error={error} title={t('saveFailed')} />}
      <Group justify="space-between">
        <Button variant="default" disabled={step === 0 || saving} onClick={() => void go(step - 1)}>
          {t('back')}
        </Button>
        {step < STEPS.length - 1 && (
          <Button loading={saving} onClick={() => void go(step + 1)}>
            {t('next')}
          </Button>
        )}
      </Group>
    </Stack>
  );
}
