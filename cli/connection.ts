/**
 * Where duban's Temporal lives: an existing cluster or Temporal Cloud from the environment, else the
 * embedded dev server. Validated with zod so a bad variable is named in the error.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const temporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. my-ns.a1b2c.tmprl.cloud:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('duban'),
});

export interface TemporalTarget {
  /** Undefined: start the embedded dev server. */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer } | boolean;
}

export function temporalTargetFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const parsed = temporalEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`环境变量 ${String(issue?.path[0])} 无效 (invalid): ${issue?.message}`);
  }
  const e = parsed.data;
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new Error(`${name}=${path} 无法读取 (cannot be read)`, { cause });
    }
  };
  let tls: TemporalTarget['tls'];
  if (e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_KEY) {
    if (!e.TEMPORAL_TLS_CERT || !e.TEMPORAL_TLS_KEY) {
      throw new Error('TEMPORAL_TLS_CERT 和 TEMPORAL_TLS_KEY 需同时设置 (set both for mTLS)');
    }
    tls = {
      clientCertPair: { crt: read('TEMPORAL_TLS_CERT', e.TEMPORAL_TLS_CERT), key: read('TEMPORAL_TLS_KEY', e.TEMPORAL_TLS_KEY) },
      ...(e.TEMPORAL_TLS_CA ? { serverRootCACertificate: read('TEMPORAL_TLS_CA', e.TEMPORAL_TLS_CA) } : {}),
    };
  } else if (e.TEMPORAL_API_KEY) {
    tls = true;
  }
  return {
    ...(e.TEMPORAL_ADDRESS ? { address: e.TEMPORAL_ADDRESS } : {}),
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

/** Connection options for a target (Connection and NativeConnection take the same): address, TLS, API key. */
export function connectOptions(target: TemporalTarget): { address: string; tls?: TemporalTarget['tls']; apiKey?: string } {
  return {
    address: target.address ?? '127.0.0.1:7233',
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  };
}
