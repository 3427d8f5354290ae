// The CLI tests run the seed's shell lines verbatim, `| jq ...` included: make sure jq is
// there (Debian's package, installed when missing and possible).
import { spawnSync } from 'node:child_process';
import { aptInstall } from './apt.mjs';

const present = () => spawnSync('jq', ['--version'], { stdio: 'ignore' }).status === 0;

if (present() || aptInstall('ensure-jq', 'jq', present)) {
  console.log('[ensure-jq] jq is available');
} else {
  console.error('[ensure-jq] jq is missing and could not be installed: `apt-get install -y jq` (the CLI tests pipe into it)');
  process.exit(1);
}
