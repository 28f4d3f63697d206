/** A contact's consent in one badge: what a sender must respect before sending. */
import { Badge } from '@mantine/core';
import type { components } from '../../api/schema';
import { useT } from '../../i18n/i18n';
import { contactStrings } from './strings';

type Consent = components['schemas']['Contact']['consent'];

export function ConsentBadge({ consent, size = 'sm' }: { consent: Consent; size?: 'sm' | 'md' }) {
  const t = useT(contactStrings);
  // Shades with 4.5:1 against the badge's text (WCAG AA); the yellow one takes dark text.
  if (consent.all === 'opted_out')
    return (
      <Badge color="red.9" size={size}>
        {t('consentAllOut')}
      </Badge>
    );
  if (consent.marketing === 'opted_out')
    return (
      <Badge color="yellow.5" autoContrast size={size}>
        {t('consentMarketingOut')}
      </Badge>
    );
  if (consent.marketing === 'opted_in' || consent.all === 'opted_in')
    return (
      <Badge color="teal.9" size={size}>
        {t('consentIn')}
      </Badge>
    );
  return (
    <Badge color="gray.7" variant="outline" size={size}>
      {t('consentUnknown')}
    </Badge>
  );
}
