import { Alert, List, Text } from '@mantine/core';
import { ApiError } from '../api/errors';

/** What a failed call threw, as an ApiError (a network failure has no answer to read). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err), undefined, undefined);
}

/** An API refusal as the operator should read it: what went wrong, where, and how to fix it. */
export function ApiErrorAlert({ error, title }: { error: ApiError; title: string }) {
  const details = Array.isArray(error.details)
    ? (error.details as Array<{ path?: string; message?: string }>)
    : [];
  return (
    <Alert color="red" title={title} role="alert">
      <Text size="sm">{error.message}</Text>
      {details.length > 0 && (
        <List size="sm" mt={4}>
          {details.map((d, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: details have no identity beyond their order
            <List.Item key={i}>{d.path ? `${d.path}: ${d.message}` : d.message}</List.Item>
          ))}
        </List>
      )}
      {error.hint && (
        <Text size="sm" mt={4}>
          {error.hint}
        </Text>
      )}
    </Alert>
  );
}
