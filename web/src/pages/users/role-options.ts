import type { Role } from '../../app/session';
import { useT } from '../../i18n/i18n';
import { userStrings } from './strings';

/** The three roles, each with what it allows, in the UI language. */
export function useRoleOptions(): Array<{ value: Role; label: string }> {
  const t = useT(userStrings);
  return (['viewer', 'sender', 'admin'] as const).map((r) => ({ value: r, label: t(r) }));
}
