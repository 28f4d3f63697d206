/**
 * The work every peer does per job, shared by the BullMQ and pg-boss workers: the template send
 * that bench/bare-loop.ts posts (the job's data), posted to the sandbox as Meta's Cloud API
 * expects it, answered with Meta's message id (the job's result).
 */
import type { Pool } from 'undici';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { templateSend as bareTemplateSend } from '../bare-loop';
import { GRAPH } from '../recontact-env';

export type TemplateSend = ReturnType<typeof templateSend>;

/** The same body as the bare loop's, as an object: a queue stores it as the job's JSON data. */
export const templateSend = (i: number) => bareTemplateSend(i, 'peer');

const PATH = `/${GRAPH}/${SANDBOX_ACCOUNT.phoneNumberId}/messages`;
const HEADERS = {
  authorization: `Bearer ${SANDBOX_ACCOUNT.accessToken}`,
  'content-type': 'application/json',
};

/** Posts one send; resolves to Meta's message id, throws with Meta's answer when it has none. */
export async function postTemplate(pool: Pool, body: TemplateSend): Promise<string> {
  const res = await pool.request({
    method: 'POST',
    path: PATH,
    headers: HEADERS,
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as { messages?: Array<{ id: string }> };
  const id = json.messages?.[0]?.id;
  if (!id) throw new Error(`sandbox answered ${res.statusCode}: ${JSON.stringify(json)}`);
  return id;
}

/** The worker processes' settings travel in the environment; a missing one is the bench's bug. */
export function envNumber(name: string): number {
  const v = Number(process.env[name]);
  if (!Number.isInteger(v) || v <= 0)
    throw new Error(`${name} must be a positive integer, got "${process.env[name]}"`);
  return v;
}

export function envString(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}
