/**
 * CheckPort on the engine's clock: every validation takes a modelled duration of engine
 * time and passes unless `fails` says otherwise. For virtual-time runs (deterministic
 * tests, what-if simulations) where real check processes would make time meaningless.
 */
import type { Clock } from '../engine/clock';
import type { CheckPort, CheckRun, CheckRunResult } from '../engine/ports';

type ValidateRequest = Parameters<CheckPort['validate']>[0];

export interface ClockedChecksOptions {
  /** Engine ms one validation takes. */
  durationMs: (request: ValidateRequest) => number;
  /** Name of the check that fails on this request, or null when it passes. */
  fails?: (request: ValidateRequest) => string | null;
}

/**
 * The steps a modelled validation shows: the checks up to the failing one, sharing its
 * duration. A failing name that is not among the checks (a modelled fault) is one step.
 */
function modelledRuns(request: ValidateRequest, failedCheck: string | null, durationMs: number): CheckRun[] {
  const failing = failedCheck === null ? -1 : request.checks.findIndex((c) => c.name === failedCheck);
  const steps =
    failedCheck === null
      ? request.checks
      : failing >= 0
        ? request.checks.slice(0, failing + 1)
        : [{ name: failedCheck, command: [], timeoutMs: 0 }];
  return steps.map((check, i) => {
    const failed = failedCheck !== null && i === steps.length - 1;
    return {
      name: check.name,
      kind: 'check',
      command: check.command,
      exitCode: failed ? 1 : 0,
      ok: !failed,
      durationMs: durationMs / steps.length,
      failure: failed ? `check '${check.name}' exited with code 1` : null,
      output: failed ? `${check.name} failed` : '',
    };
  });
}

export class ClockedChecks implements CheckPort {
  readonly waitsOnClock = true;

  constructor(
    private readonly clock: Clock,
    private readonly options: ClockedChecksOptions,
  ) {}

  validate(request: ValidateRequest): Promise<CheckRunResult> {
    const durationMs = this.options.durationMs(request);
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(durationMs, () => {
        request.signal?.removeEventListener('abort', onAbort);
        const failedCheck = this.options.fails?.(request) ?? null;
        const output = failedCheck ? `${failedCheck} failed` : '';
        resolve({
          ok: failedCheck === null,
          failedCheck,
          output,
          durationMs,
          runs: modelledRuns(request, failedCheck, durationMs),
        });
      });
      const onAbort = () => {
        this.clock.clearTimer(timer);
        reject(Object.assign(new Error('validation aborted'), { name: 'AbortError' }));
      };
      if (request.signal?.aborted) onAbort();
      else request.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async dispose(): Promise<void> {}
}
