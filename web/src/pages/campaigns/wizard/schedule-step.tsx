/**
 * Step 4: when. At launch, at one instant (typed in this browser's time zone), or at a local
 * time on each recipient's own clock (a date or the next such weekday); quiet hours (the
 * account's, none, or the campaign's own) that move a send to the minute they end; an expiry
 * after which nothing is sent; the pace.
 */
import { NativeSelect, NumberInput, Radio, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useT } from '../../../i18n/i18n';
import { type ScheduleChoice, WEEKDAYS, type WizardState } from './draft';
import { hint } from './hint';
import { wizardStrings } from './strings';

export function ScheduleStep({
  state: w,
  update,
}: {
  state: WizardState;
  update: (p: Partial<WizardState>) => void;
}) {
  const t = useT(wizardStrings);
  const s = w.schedule;
  const set = (patch: Partial<ScheduleChoice>) => update({ schedule: { ...s, ...patch } });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <Stack gap="lg" maw={720}>
      <Radio.Group
        label={t('when')}
        value={s.when}
        onChange={(v) => set({ when: v as ScheduleChoice['when'] })}
      >
        <Stack gap="xs" mt="xs">
          <Radio value="launch" label={t('whenLaunch')} />
          <Radio value="at" label={t('whenAt')} />
          <Radio value="local" label={t('whenLocal')} />
        </Stack>
      </Radio.Group>
      {s.when === 'at' && (
        <TextInput
          type="datetime-local"
          label={t('atLabel')}
          {...hint(t('inYourZone', { zone }))}
          value={s.at}
          onChange={(e) => set({ at: e.currentTarget.value })}
          w={{ base: '100%', sm: 280 }}
        />
      )}
      {s.when === 'local' && (
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            type="time"
            label={t('localTime')}
            value={s.localTime}
            onChange={(e) => set({ localTime: e.currentTarget.value })}
          />
          <NativeSelect
            label={t('localDay')}
            value={s.localDay}
            onChange={(e) => set({ localDay: e.currentTarget.value as 'date' | 'weekday' })}
            data={[
              { value: 'date', label: t('onDate') },
              { value: 'weekday', label: t('onWeekday') },
            ]}
          />
          {s.localDay === 'date' ? (
            <TextInput
              type="date"
              label={t('date')}
              value={s.localDate}
              onChange={(e) => set({ localDate: e.currentTarget.value })}
            />
          ) : (
            <NativeSelect
              label={t('weekday')}
              value={s.localWeekday}
              onChange={(e) => set({ localWeekday: e.currentTarget.value })}
              data={WEEKDAYS.map((d) => ({ value: d, label: t(`day_${d}` as 'day_monday') }))}
            />
          )}
          <TextInput
            label={t('fallbackZone')}
            {...hint(t('fallbackZoneHelp'))}
            placeholder="America/Argentina/Buenos_Aires"
            value={s.fallbackZone}
            onChange={(e) => set({ fallbackZone: e.currentTarget.value })}
            style={{ gridColumn: '1 / -1' }}
          />
        </SimpleGrid>
      )}
      <div>
        <Title order={2} size="h4">
          {t('quietHours')}
        </Title>
        <Text size="sm" c="gray.7" mb="xs">
          {t('quietHelp')}
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <NativeSelect
            label={t('quietChoice')}
            value={s.quiet}
            onChange={(e) => set({ quiet: e.currentTarget.value as ScheduleChoice['quiet'] })}
            data={[
              { value: 'account', label: t('quietAccount') },
              { value: 'none', label: t('quietNone') },
              { value: 'custom', label: t('quietCustom') },
            ]}
          />
          {s.quiet === 'custom' && (
            <>
              <TextInput
                type="time"
                label={t('quietFrom')}
                value={s.quietFrom}
                onChange={(e) => set({ quietFrom: e.currentTarget.value })}
              />
              <TextInput
                type="time"
                label={t('quietTo')}
                value={s.quietTo}
                onChange={(e) => set({ quietTo: e.currentTarget.value })}
              />
            </>
          )}
        </SimpleGrid>
      </div>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          type="datetime-local"
          label={t('expires')}
          {...hint(t('expiresHelp'))}
          value={s.expires}
          onChange={(e) => set({ expires: e.currentTarget.value })}
        />
        <NumberInput
          label={t('pace')}
          {...hint(t('paceHelp'))}
          value={w.pace ?? ''}
          onChange={(v) => update({ pace: typeof v === 'number' ? v : undefined })}
          min={1}
          max={1000}
          allowDecimal={false}
        />
      </SimpleGrid>
    </Stack>
  );
}
