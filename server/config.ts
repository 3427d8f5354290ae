/**
 * Server configuration from the environment, validated once at start so a typo fails
 * loudly instead of running a town with surprising settings.
 */
import path from 'node:path';
import { z } from 'zod';

const boolFlag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GT_DATA_DIR: z.string().min(1).default('./data'),
  GT_TIME_SCALE: z.coerce.number().positive().max(10_000).default(1),
  GT_DEMO: boolFlag.default(true),
  GT_OPERATOR_TOKEN: z.string().min(8).optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseFile: string;
  timeScale: number;
  demo: boolean;
  operatorToken: string | null;
  dev: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.GT_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseFile: path.join(dataDir, 'gastown.db'),
    timeScale: e.GT_TIME_SCALE,
    demo: e.GT_DEMO,
    operatorToken: e.GT_OPERATOR_TOKEN ?? null,
    dev: e.NODE_ENV !== 'production',
  };
}
