/**
 * Step 1: the campaign's name and its template, among the account's APPROVED ones (an
 * authentication template carries one-time codes and is never a campaign's). An admin with
 * several channel accounts picks the account first.
 */
import { Alert, Badge, Group, NativeSelect, Radio, Stack, Text, TextInput } from '@mantine/core';
import { api, unwrap } from '../../../api/client';
import type { ApiError } from '../../../api/errors';
import { useSession } from '../../../app/session';
import { ApiErrorAlert } from '../../../components/api-error';
import { useT } from '../../../i18n/i18n';
import { useLoad } from '../use-load';
import { initialValues, type WizardState } from './draft';
import { bodyText, type Template, templateSlots } from './slots';
import { wizardStrings } from './strings';

export function TemplateStep({
  state: w,
  update,
  templates,
  templatesError,
}: {
  state: WizardState;
  update: (p: Partial<WizardState>) => void;
  templates: Template[] | undefined;
  templatesError: ApiError | undefined;
}) {
  const t = useT(wizardStrings);
  const { can } = useSession();
  const admin = can('admin');
  const accounts = useLoad(
    async () => (admin ? (await unwrap(api.GET('/v1/channel-accounts'))).data : []),
    [admin],
  );
  const usable = (templates ?? []).filter((x) => x.status === 'APPROVED' && x.category !== 'AUTHENTICATION');
  const others = (templates ?? []).length - usable.length;
  const key = w.template ? `${w.template.name}|${w.template.language}` : '';

  const pick = (value: string) => {
    const chosen = usable.find((x) => `${x.name}|${x.language}` === value);
    if (!chosen) return;
    const today = new Date().toISOString().slice(0, 10);
    update({
      template: { name: chosen.name, language: chosen.language },
      keptLanguage: undefined,
      values: initialValues(templateSlots(chosen)),
      ...(w.name.trim() ? {} : { name: `${chosen.name} ${today}` }),
    });
  };

  return (
    <Stack gap="md">
      {(accounts.data?.length ?? 0) > 1 && (
        <NativeSelect
          label={t('account')}
          value={w.accountId ?? ''}
          onChange={(e) =>
            update({ accountId: e.currentTarget.value || undefined, template: undefined, values: {} })
          }
          data={[
            { value: '', label: t('defaultAccount') },
            ...(accounts.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${a.channel})` })),
          ]}
          w={{ base: '100%', sm: 320 }}
        />
      )}
      <TextInput
        label={t('campaignName')}
        value={w.name}
        onChange={(e) => update({ name: e.currentTarget.value })}
        maxLength={200}
        required
        w={{ base: '100%', sm: 420 }}
      />
      {templatesError && <ApiErrorAlert error={templatesError} title={t('templatesFailed')} />}
      {templates && usable.length === 0 && <Alert color="gray">{t('noApproved')}</Alert>}
      <Radio.Group label={t('template')} value={key} onChange={pick}>
        <Stack gap="xs" mt="xs">
          {usable.map((x) => {
            const value = `${x.name}|${x.language}`;
            return (
              <Radio.Card
                key={value}
                value={value}
                p="sm"
                radius="md"
                aria-label={`${x.name} (${x.language})`}
              >
                <Group wrap="nowrap" align="flex-start">
                  <Radio.Indicator />
                  <Stack gap={2} style={{ minWidth: 0 }}>
                    <Group gap="xs">
                      <Text fw={600}>{x.name}</Text>
                      <Badge variant="outline" color="gray.8">
                        {x.language}
                      </Badge>
                      <Badge variant="outline" color={x.category === 'MARKETING' ? 'grape.9' : 'blue.9'}>
                        {x.category}
                      </Badge>
                    </Group>
                    <Text size="sm" c="gray.7" lineClamp={2}>
                      {bodyText(x)}
                    </Text>
                  </Stack>
                </Group>
              </Radio.Card>
            );
          })}
        </Stack>
      </Radio.Group>
      {others > 0 && (
        <Text size="sm" c="gray.7">
          {t('notListed', { count: others })}
        </Text>
      )}
    </Stack>
  );
}
