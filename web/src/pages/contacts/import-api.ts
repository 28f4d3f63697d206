/**
 * The two calls openapi-fetch does not make: they send a file (or its first bytes) as the body,
 * with the session's CSRF token like every other call that changes something.
 */
import { csrfHeaders } from '../../api/client';
import { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';

export type ImportPreview = components['schemas']['ImportPreview'];

/** The most of a file the preview reads (the API's limit). */
export const PREVIEW_BYTES = 64 * 1024;

async function post<T>(path: string, body: Blob): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'text/csv', ...csrfHeaders() },
    body,
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw ApiError.from(res.status, json);
  return json as T;
}

export function previewImport(file: File, params: URLSearchParams): Promise<ImportPreview> {
  const q = new URLSearchParams(params);
  q.set('complete', String(file.size <= PREVIEW_BYTES));
  q.set('rows', '5');
  return post(`/v1/contacts/import/preview?${q}`, file.slice(0, PREVIEW_BYTES));
}

export function startImport(file: File, params: URLSearchParams): Promise<{ id: string }> {
  const q = new URLSearchParams(params);
  q.set('filename', file.name.slice(0, 255));
  return post(`/v1/contacts/import?${q}`, file);
}
