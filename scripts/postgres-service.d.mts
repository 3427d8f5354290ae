// Types for scripts/postgres-service.mjs, imported by tests/support/postgres.ts.
export declare function ensurePostgres(): Promise<string>;
