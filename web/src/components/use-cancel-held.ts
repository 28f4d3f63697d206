/** Withdraws a held message (POST /v1/messages/{id}/cancel), then lets the page reload. */
import { useCallback } from 'react';
import { api, unwrap } from '../api/client';

export function useCancelHeld(after: () => void): (messageId: string) => void {
  return useCallback(
    (id: string) => {
      // A message released meanwhile answers 409 MESSAGE_NOT_HELD: the reload shows why.
      unwrap(api.POST('/v1/messages/{id}/cancel', { params: { path: { id } } }))
        .catch(() => undefined)
        .then(after);
    },
    [after],
  );
}
