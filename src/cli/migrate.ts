import { loadConfig } from '../config';
import { openStore } from '../store/database';
import { migrateToLatest } from '../store/migrate';

export async function migrate(): Promise<void> {
  const config = loadConfig();
  const store = await openStore({ url: config.databaseUrl });
  try {
    const applied = await migrateToLatest(store.db, store.schema);
    process.stdout.write(
      applied.length
        ? `applied: ${applied.join(', ')} (${store.location})\n`
        : `up to date (${store.location})\n`,
    );
  } finally {
    await store.close();
  }
}
