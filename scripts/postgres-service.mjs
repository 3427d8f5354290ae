// The PostgreSQL the tests use: the service at 127.0.0.1:5432 (this project's machines run
// it with trust auth for local TCP logins), started with pg_ctlcluster when stopped, and
// installed from Debian when missing and root (scripts/local-service.mjs has the steps).
// GT_TEST_POSTGRES_URL points the tests at another server instead (an admin URL: the tests
// create and drop databases gt_test_* on it).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ensureLocalService, runStep } from './local-service.mjs';

const TAG = 'ensure-postgres';
const HOST = '127.0.0.1';
const PORT = 5432;
/** Login roles to try, in order: the package's superuser, then root (some machines add one). */
const USERS = ['postgres', 'root'];
const ETC = '/etc/postgresql';

const MISSING =
  'The PostgreSQL store tests need a PostgreSQL server: run `apt-get install -y postgresql` as root and start it ' +
  '(`pg_ctlcluster --skip-systemctl-redirect <version> main start`) with trust (or password-less) logins for 127.0.0.1, ' +
  'or set GT_TEST_POSTGRES_URL=postgresql://user:password@host:port/postgres to a server where that user may CREATE DATABASE.';

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The admin URL that works, or null. */
async function findUrl() {
  if (process.env.GT_TEST_POSTGRES_URL)
    return (await answers(process.env.GT_TEST_POSTGRES_URL)) ? process.env.GT_TEST_POSTGRES_URL : null;
  for (const user of USERS) {
    const url = `postgresql://${user}@${HOST}:${PORT}/postgres`;
    if (await answers(url)) return url;
  }
  return null;
}

const versions = () => (existsSync(ETC) ? readdirSync(ETC).filter((v) => existsSync(path.join(ETC, v, 'main'))) : []);

function start() {
  const [version] = versions().sort().reverse();
  if (!version) return false;
  // --skip-systemctl-redirect: these machines have no systemd; start the cluster directly.
  return runStep(TAG, 'pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
}

/**
 * A fresh Debian install lets only the postgres OS user in (peer) and asks passwords over
 * TCP: allow password-less loopback logins, as this project's machines have them. Only done
 * right after this script installed the package itself, on a test machine.
 */
function allowLoopbackLogins() {
  for (const version of versions()) {
    const hba = path.join(ETC, version, 'main', 'pg_hba.conf');
    const text = readFileSync(hba, 'utf8');
    const trust = 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n';
    if (!text.startsWith(trust)) writeFileSync(hba, `# added by scripts/postgres-service.mjs for the tests\n${trust}${text}`);
  }
}

let found;

/** Finds (or starts, or installs) PostgreSQL; resolves with an admin URL for database `postgres`. */
export function ensurePostgres() {
  found ??= (async () => {
    if (process.env.GT_TEST_POSTGRES_URL) {
      const url = await findUrl();
      if (!url) throw new Error(`[${TAG}] GT_TEST_POSTGRES_URL does not answer. ${MISSING}`);
      return url;
    }
    let url = null;
    await ensureLocalService({
      tag: TAG,
      probe: async () => (url = await findUrl()) !== null,
      installed: () => versions().length > 0,
      start,
      afterInstall: allowLoopbackLogins,
      aptPackage: 'postgresql',
      missing: MISSING,
    });
    return url;
  })();
  return found;
}
