/** Whether this Recontact runs the sandbox (GET /v1/sandbox answers), so the phone page makes sense. */
import { useEffect, useState } from 'react';

export function useSandboxAvailable(): boolean {
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    fetch('/v1/sandbox', { credentials: 'same-origin' }).then(
      (r) => setAvailable(r.ok),
      () => setAvailable(false),
    );
  }, []);
  return available;
}
