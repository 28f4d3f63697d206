import { migrateDatabase } from '../admin';
import { loadConfig } from '../config';

export async function migrate(): Promise<void> {
  const { applied, location } = await migrateDatabase(loadConfig());
  process.stdout.write(
    applied.length ? `applied: ${applied.join(', ')} (${location})\n` : `up to date (${location})\n`,
  );
}
