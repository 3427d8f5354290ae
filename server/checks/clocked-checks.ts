/**
 * CheckPort on the engine's clock: every validation takes a modelled duration of engine
 * time and passes unless `fails` says otherwise. For virtual-time runs (deterministic
 * tests, what-if simulations) where real check processes would make time meaningless.
 */
import type { Clock } from '../engine/clock';
import type { CheckPort, CheckRunResult } from '../engine/ports';

type ValidateRequest = Parameters<CheckPort['validate']>[0];

export interface ClockedChecksOptions {
  /** Engine ms one validation takes. */
  durationMs: (request: ValidateRequest) => number;
  /** Name of the check that fails on this request, or null when it passes. */
  fails?: (request: ValidateRequest) => string | null;
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
        resolve({ ok: failedCheck === null, failedCheck, output: failedCheck ? `${failedCheck} failed` : '', durationMs });
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
