/**
 * `npm run lab -- <scenario> [--seed N] [--hours H] [--json]`: runs one of the seed's
 * scenarios on the what-if lab and prints its table (the seed's figure beside the
 * simulated one). `npm run lab -- list` names the scenarios.
 */
import { parseArgs } from 'node:util';
import { LabParamsError } from '../server/lab/params';
import { SCENARIOS, findScenario, formatReport, runScenario } from '../server/lab/scenarios';

const USAGE = `usage: npm run lab -- <scenario|list> [--seed N] [--hours H] [--json]
scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got '${raw}'`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        hours: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [id] = positionals;
  if (!id) fail('name a scenario');
  if (id === 'list') {
    for (const s of SCENARIOS) process.stdout.write(`${s.id.padEnd(10)} ${s.title}\n`);
    return;
  }
  const scenario = findScenario(id);
  if (!scenario) fail(`unknown scenario '${id}'`);
  const seed = numberOption('seed', values.seed);
  const hours = numberOption('hours', values.hours);
  try {
    const report = await runScenario(scenario, { ...(seed !== undefined && { seed }), ...(hours !== undefined && { hours }) });
    if (values.json) {
      const rows = report.rows.map(({ result, ...row }) => ({ ...row, figures: result.figures, run: result.run }));
      process.stdout.write(`${JSON.stringify({ ...report, rows }, null, 2)}\n`);
    } else process.stdout.write(`${formatReport(report)}\n`);
  } catch (err) {
    if (err instanceof LabParamsError) fail(err.message);
    throw err;
  }
}

await main();
