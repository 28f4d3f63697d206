/**
 * /campaigns: the list (the app's first page, so in the main bundle), and the wizard and the
 * live campaign page loaded when first opened, so the first page load stays small.
 */
import { Loader } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { useT } from '../../i18n/i18n';
import { CampaignListPage } from './list-page';
import { campaignStrings } from './strings';

const CampaignPage = lazy(() => import('./campaign-page').then((m) => ({ default: m.CampaignPage })));
const WizardPage = lazy(() => import('./wizard/wizard-page').then((m) => ({ default: m.WizardPage })));

export function CampaignRoutes() {
  const t = useT(campaignStrings);
  return (
    <Suspense fallback={<Loader aria-label={t('loading')} />}>
      <Routes>
        <Route index element={<CampaignListPage />} />
        <Route path="new" element={<WizardPage />} />
        <Route path=":id/edit" element={<WizardPage />} />
        <Route path=":id" element={<CampaignPage />} />
      </Routes>
    </Suspense>
  );
}
