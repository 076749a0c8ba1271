import { z } from 'zod';
import { ENGINE_CHOICES } from '@pneumoscreen/contracts';
import { parseModelRegistry } from './model-registry';
import { parseRedisUrl } from './redis-target';
import { StowBaseUrl } from './stow-url';
import { parseTenants } from './tenant-schema';
import { durationMs, parseWebhookEndpoints, WebhookSecret } from './webhook-endpoints';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Every environment variable the system reads, with its default. The README's configuration
 * table mirrors this schema. */
export const EnvSchema = z.object({
  REDIS_URL: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseRedisUrl(v);
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      }
    })
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: list
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, separated by commas')).min(1))
    .optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^(\{[A-Za-z0-9_-]+\}|[A-Za-z0-9_-]+)$/, 'must be letters, digits, "_" or "-" (optionally in braces)')
    .default('pneumoscreen'),

  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.optional(),
  S3_BUCKET: z.string().min(3).max(63).default('pneumoscreen'),
  S3_INCOMING_PREFIX: z
    .string()
    .regex(/^[^/].*\/$/, 'must end with "/" and not start with one')
    .default('incoming/'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  MODEL_REGISTRY_ACCESS_KEY_ID: z.string().optional(),
  MODEL_REGISTRY_SECRET_ACCESS_KEY: z.string().optional(),

  INGEST_HOST: z.string().default('127.0.0.1'),
  INGEST_PORT: int(0, 65535).default(3000),
  INGEST_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  S3_EVENTS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SNS_TOPIC_ARNS: list
    .pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'must be SNS topic ARNs')))
    .optional(),
  STUDY_QUIET_PERIOD_MS: int(100, 86_400_000).default(30_000),
  RECONCILE_INTERVAL_MS: int(0, 86_400_000).default(60_000),
  INGEST_MAX_QUEUED_IMAGES: int(0, 2 ** 31 - 1).default(1_000_000),
  INGEST_MAX_REDIS_MEMORY_FRACTION: z.coerce.number().gt(0).max(1).default(0.8),
  STUDY_RETENTION_MS: int(60_000, 365 * 86_400_000).default(3 * 86_400_000),
  STUDY_ID_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  STUDY_REQUEUE_AFTER_MS: int(100, 86_400_000).default(60_000),

  MODEL_DIR: z.string().min(1).optional(),
  MODEL_REGISTRY: z.string().transform(parseModelRegistry).optional(),
  MODEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ".", "_" or "-"')
    .default('pneumoscreen-pneumonia'),
  MODEL_CHANNEL: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits or "-"')
    .default('production'),
  MODEL_CACHE_DIR: z.string().min(1).optional(),
  MODEL_CHANNEL_POLL_MS: int(0, 86_400_000).default(30_000),
  WORKER_POOLS: list.pipe(z.array(z.enum(['classify', 'finalise', 'webhook'])).min(1)).default('classify,finalise,webhook'),
  WORKER_MAX_BATCH: int(1, 1024).default(32),
  WORKER_MAX_WAIT_MS: int(0, 60_000).default(50),
  WORKER_PREFERRED_BATCH: list.pipe(z.array(int(1, 1024))).optional(),
  WORKER_CONCURRENCY: int(1, 4096).optional(),
  WORKER_FINALISE_CONCURRENCY: int(1, 1024).default(16),
  WEBHOOK_CONCURRENCY: int(1, 1024).default(8),
  MAX_IMAGE_BYTES: int(1, 2 ** 31 - 1).default(64 * 1024 * 1024),
  MAX_IMAGE_PIXELS: int(1, 2 ** 31 - 1).default(100_000_000),
  MAX_DICOM_PIXELS: int(1, 2 ** 31 - 1).default(40_000_000),
  ENGINE: z.enum(ENGINE_CHOICES).default('auto'),
  ENGINE_THREADS: int(0, 1024).default(0),
  ENGINE_TIMEOUT_MS: int(0, 3_600_000).default(60_000),
  HEATMAPS: bool.default('true'),
  HEATMAP_MAX_BATCH: int(1, 1024).default(1024),
  DICOM_OUTPUTS: bool.default('true'),
  DICOMWEB_STOW_URL: StowBaseUrl.optional(),
  DICOMWEB_AUTHORIZATION: z
    .string()
    .min(1)
    .regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'must be a header value (printable ASCII)')
    .optional(),
  DICOMWEB_TIMEOUT_MS: int(100, 600_000).default(60_000),
  DICOMWEB_MAX_ATTEMPTS: int(1, 100).default(10),

  TENANTS: z.string().transform(parseTenants).optional(),
  CALLBACK_HOSTS: list.optional(),

  WEBHOOK_URL: z.string().url().optional(),
  WEBHOOK_ENDPOINTS: z.string().transform(parseWebhookEndpoints).optional(),
  WEBHOOK_SECRET: list.pipe(z.array(WebhookSecret).min(1)).optional(),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(15_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(8),
  WEBHOOK_RETRY_SCHEDULE: list.pipe(z.array(durationMs).min(1).max(100)).optional(),
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.1),
  WEBHOOK_ALLOW_PRIVATE: bool.default('false'),
  WEBHOOK_ALLOW_HOSTS: list.optional(),

  FEEDBACK_PREFIX: z
    .string()
    .regex(/^[^/].*\/$/, 'must end with "/" and not start with one')
    .default('feedback/'),
  FEEDBACK_HOLDOUT_FRACTION: z.coerce.number().min(0).max(0.9).default(0.2),

  TRAINER_POOLS: list.pipe(z.array(z.enum(['feedback', 'training'])).min(1)).default('feedback,training'),
  TRAINING_DATA_DIR: z.string().min(1).optional(),
  TRAINING_WORK_DIR: z.string().min(1).optional(),
  TRAINING_BASE_MODEL_DIR: z.string().min(1).optional(),
  TRAINING_VAL_FRACTION: z.coerce.number().gt(0).lt(1).default(0.18),
  TRAINING_SEED: z.coerce.number().int().default(42),
  TRAINING_INT8: bool.default('false'),
  TARGET_SENSITIVITY: z.coerce.number().gt(0).max(1).default(0.95),
  PROMOTION_POLICY: z.enum(['manual', 'canary', 'promote-if-better']).default('manual'),
  CANARY_FRACTION: z.coerce.number().gt(0).max(1).default(0.1),
  PROMOTION_MAX_AUC_DROP: z.coerce.number().min(0).max(1).default(0.005),

  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DECODE_THREADS: int(1, 1024).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});
export type Env = z.infer<typeof EnvSchema>;
