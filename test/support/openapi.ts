/**
 * Checks an answer against the OpenAPI document Recontact publishes at /docs/json: the route
 * documents this status, and the body matches its schema (components resolved as $defs).
 */
import { expect } from 'vitest';
import { z } from 'zod';

export type OpenApiDoc = { paths: Record<string, any>; components: { schemas: Record<string, unknown> } };

/** `key` is "<method> <documented path>", e.g. "get /v1/imports/{id}". */
export function expectDocumented(doc: OpenApiDoc, key: string, res: { status: number; json: unknown }): void {
  const [method, path] = key.split(' ') as [string, string];
  const schema =
    doc.paths[path]?.[method]?.responses[String(res.status)]?.content?.['application/json']?.schema;
  expect(schema, `${key} documents ${res.status}: ${JSON.stringify(res.json)}`).toBeDefined();
  const text = JSON.stringify({ ...schema, $defs: doc.components.schemas }).replaceAll(
    '#/components/schemas/',
    '#/$defs/',
  );
  const result = z.fromJSONSchema(JSON.parse(text), { defaultTarget: 'draft-2020-12' }).safeParse(res.json);
  expect(result.error, `${key} → ${res.status}: ${JSON.stringify(res.json)}`).toBeUndefined();
}
