/**
 * A one-shot signal between two concurrent pieces of a test: one awaits `reached`, the other
 * calls `fire()` (e.g. "transaction A has inserted", "A may commit now").
 */
export function signal(): { reached: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const reached = new Promise<void>((r) => {
    fire = r;
  });
  return { reached, fire };
}
