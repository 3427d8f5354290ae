/**
 * The Prisma client the stores are written against, whichever database is under it.
 *
 * SQLite and PostgreSQL each have their own generated client (server/store/generated and
 * generated-pg, from prisma/schema.prisma and the PostgreSQL schema derived from it by
 * `npm run db:pg-schema`), with the same models. The stores use the model delegates,
 * `$transaction` and `$disconnect`, typed as the SQLite client's: TypeScript cannot compare
 * two generated clients' delegates (their deep conditional result types differ by module
 * even when equal), so the PostgreSQL factory hands its client over as a StoreClient in one
 * cast (postgres.ts). What makes that cast sound is checked here at compile time: both
 * clients have the same models with the same row types (PostgreSQL's filters only add
 * options such as `mode`, so every query the stores write is valid on both), and at run
 * time by the conformance suites, which run every store on both databases.
 *
 * Raw SQL is the one place the databases differ: `$queryRaw`/`$executeRaw` are in the
 * type, and code that sends SQL branches on StoreDatabase.provider (database.ts).
 */
import type { PrismaClient as SqliteClient, Prisma as SqlitePrisma } from './generated/client';
import type { Prisma as PgPrisma } from './generated-pg/client';

/** A client's model delegates: every key not starting with `$` (town, rig, bead, ...). */
type ModelKey<C> = { [K in keyof C]: K extends `$${string}` ? never : K }[keyof C];

export type StoreClient = Pick<
  SqliteClient,
  ModelKey<SqliteClient> | '$transaction' | '$disconnect' | '$queryRaw' | '$executeRaw'
>;

/** Each model's row (its scalar fields) as a generated client's type map declares it. */
type Rows<TypeMap extends { model: Record<string, { payload: { scalars: unknown } }> }> = {
  [M in keyof TypeMap['model']]: TypeMap['model'][M]['payload']['scalars'];
};
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compile-time proof that the PostgreSQL client has exactly the SQLite client's models and
 * rows: a model added to one schema and not regenerated into the other fails `tsc` here
 * (the fix: `npm run db:pg-schema -- --name <what_changed>`, then
 * `npx prisma generate --schema prisma/postgres/schema.prisma`).
 */
export const CLIENTS_MATCH: Same<Rows<SqlitePrisma.TypeMap>, Rows<PgPrisma.TypeMap>> = true;
