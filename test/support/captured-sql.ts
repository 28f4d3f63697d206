/** The SQL a piece of repository code really runs, as Kysely compiled it (for plan tests). */
import type { CompiledQuery, Kysely, KyselyPlugin, RootOperationNode } from 'kysely';

export async function capturedQueries<DB>(
  db: Kysely<DB>,
  work: (db: Kysely<DB>) => Promise<unknown>,
): Promise<CompiledQuery[]> {
  const nodes: RootOperationNode[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node }) => {
      nodes.push(node);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await work(db.withPlugin(recorder));
  return nodes.map((node) => db.getExecutor().compileQuery(node, { queryId: 'plan' }));
}
