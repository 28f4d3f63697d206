/** /sandbox: the sandbox phone, loaded when first opened (most operators never use it). */
import { Loader } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';

const SandboxPhonePage = lazy(() => import('./phone-page').then((m) => ({ default: m.SandboxPhonePage })));

export function SandboxRoutes() {
  return (
    <Suspense fallback={<Loader />}>
      <Routes>
        <Route index element={<SandboxPhonePage />} />
        <Route path="messenger/:psid" element={<SandboxPhonePage />} />
        <Route path=":user" element={<SandboxPhonePage />} />
      </Routes>
    </Suspense>
  );
}
