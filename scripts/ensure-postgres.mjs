// `npm test` step: make sure the PostgreSQL the store tests use answers (found, started or
// installed; see scripts/postgres-service.mjs), before vitest runs them.
import { ensurePostgres } from './postgres-service.mjs';

try {
  const url = await ensurePostgres();
  console.log(`[ensure-postgres] using ${url}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
