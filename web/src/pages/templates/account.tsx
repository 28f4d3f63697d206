/**
 * Which channel account's templates a page shows: `?account=` in the address (so a link keeps
 * it), the default account when absent. Only an admin can list the accounts
 * (GET /v1/channel-accounts), so only an admin gets the picker, and only when there are several.
 */
import { NativeSelect } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useSession } from '../../app/session';
import { useT } from '../../i18n/i18n';
import { templateStrings } from './strings';
import { useLoad } from './use-load';

export function useAccountParam(): string | undefined {
  const [params] = useSearchParams();
  return params.get('account') ?? undefined;
}

/** `{ account_id }` for an API call, or nothing for the default account. */
export function accountQuery(account: string | undefined): { account_id?: string } {
  return account ? { account_id: account } : {};
}

/** "?account=…" to keep the account in links, or "". */
export function accountSuffix(account: string | undefined): string {
  return account ? `?account=${encodeURIComponent(account)}` : '';
}

export function AccountPicker() {
  const t = useT(templateStrings);
  const { can } = useSession();
  const admin = can('admin');
  const [params, setParams] = useSearchParams();
  const accounts = useLoad(
    async () => (admin ? (await unwrap(api.GET('/v1/channel-accounts'))).data : []),
    [admin],
  );
  const list = accounts.data ?? [];
  if (list.length < 2) return null;
  return (
    <NativeSelect
      label={t('account')}
      value={params.get('account') ?? ''}
      onChange={(e) => {
        const next = new URLSearchParams(params);
        if (e.currentTarget.value) next.set('account', e.currentTarget.value);
        else next.delete('account');
        setParams(next);
      }}
      data={[
        // The API's own choice when none is named: the one enabled account, or the one WhatsApp number.
        { value: '', label: t('defaultAccount') },
        ...list.map((a) => ({
          value: a.id,
          label: `${a.name} (${a.channel === 'whatsapp' ? 'WhatsApp' : 'Messenger'})${a.disabled ? ` · ${t('disabled')}` : ''}`,
        })),
      ]}
      w={{ base: '100%', sm: 280 }}
    />
  );
}
