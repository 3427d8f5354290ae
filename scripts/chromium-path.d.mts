// Types for scripts/chromium-path.mjs, imported by playwright.config.ts.
export declare const DEFAULT_CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export declare function chromiumPath(env?: NodeJS.ProcessEnv): string;
export declare function chromiumInstalled(env?: NodeJS.ProcessEnv): boolean;
