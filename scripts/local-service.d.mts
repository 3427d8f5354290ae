// Types for scripts/local-service.mjs (used by postgres-service.mjs, tested by tests/unit/local-service.test.ts).
export declare function waitFor(probe: () => Promise<boolean>, timeoutMs?: number, everyMs?: number): Promise<boolean>;
export declare function runStep(tag: string, command: string, args: string[]): boolean;
export declare function ensureLocalService(service: {
  tag: string;
  probe: () => Promise<boolean>;
  installed: () => boolean;
  start: () => unknown;
  afterInstall?: () => void;
  aptPackage: string;
  missing: string;
  startTimeoutMs?: number;
}): Promise<'running' | 'started' | 'installed'>;
