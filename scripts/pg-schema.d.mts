// Types for scripts/pg-schema.mjs, imported by tests/unit/pg-schema.test.ts.
export declare const ROOT: string;
export declare const SQLITE_SCHEMA: string;
export declare const PG_SCHEMA: string;
export declare const PG_MIGRATIONS: string;
export declare const REGENERATE: string;
export declare function postgresSchemaFrom(sqliteText: string): string;
export declare function migrationNames(dir?: string): string[];
