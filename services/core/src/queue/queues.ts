import { Queue, QueueEvents, Worker, type Job, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { AtlasError, NotFoundError, UnavailableError } from '../errors.js';

/**
 * The only module that imports BullMQ and ioredis. Queue names, job-id prefixes and the mapping
 * of BullMQ states to the public job states live here.
 */
export const QUEUES = {
  import: 'import', // nmap XML, CSV inventories, flow logs
  scan: 'scan', // nmap runs from scan definitions
  maintenance: 'maintenance', // staleness sweeps, snapshots, webhooks
  classification: 'classification', // suggestion re-evaluation, review sweeps, evidence snapshots
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job ids carry their queue so GET /jobs/{id} needs no lookup table. BullMQ forbids ':' in custom ids. */
const PREFIX: Record<QueueName, string> = { import: 'imp', scan: 'scn', maintenance: 'mnt', classification: 'cls' };

export type PublicJobState = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  queue: QueueName;
  name: string;
  state: PublicJobState;
  progress: unknown;
  result?: unknown;
  error?: { code: string; message: string };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  attempts: number;
}

export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null, // BullMQ workers must wait out a Redis outage, not fail
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(200 + times * 200, 2_000),
  };
}

export class QueueHub {
  readonly connection: Redis;
  /** A separate connection for API calls that must fail fast while Redis is down. */
  private readonly fastConn: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly events = new Map<QueueName, QueueEvents>();

  constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {
    this.connection = new Redis(redisOptions(url));
    this.connection.on('error', () => {});
    this.fastConn = new Redis({ ...redisOptions(url), maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.fastConn.on('error', () => {});
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      q.on('error', () => {});
      this.queues.set(name, q);
    }
    return q;
  }

  queueEvents(name: QueueName): QueueEvents {
    let e = this.events.get(name);
    if (!e) {
      e = new QueueEvents(name, { connection: redisOptions(this.url), prefix: this.prefix });
      e.on('error', () => {});
      this.events.set(name, e);
    }
    return e;
  }

  newJobId(queue: QueueName, suffix: string): string {
    return `${PREFIX[queue]}-${suffix}`;
  }

  queueOfJobId(id: string): QueueName | undefined {
    const p = id.split('-')[0];
    return (Object.keys(PREFIX) as QueueName[]).find((q) => PREFIX[q] === p);
  }

  async ping(timeoutMs = 1_500): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    const t0 = Date.now();
    try {
      // A connection still being made (first use, or a reconnect in progress) gets the same time
      // budget to become ready; one that is down fails at once so the API can answer 503 quickly.
      const st = this.fastConn.status;
      if (st === 'connecting' || st === 'connect' || st === 'wait') {
        // Resolves when the attempt succeeds; fails as soon as it fails (a refused connection
        // turns into 'close'/'reconnecting' at once) or when the time budget is spent.
        await new Promise<void>((resolve, reject) => {
          const conn = this.fastConn;
          const done = (err?: Error) => {
            clearTimeout(timer);
            conn.off('ready', onReady).off('close', onDown).off('reconnecting', onDown).off('end', onDown);
            if (err) reject(err);
            else resolve();
          };
          const onReady = () => done();
          const onDown = () => done(new Error('redis connection failed'));
          const timer = setTimeout(() => done(new Error(`redis connection ${conn.status}`)), timeoutMs);
          conn.once('ready', onReady).once('close', onDown).once('reconnecting', onDown).once('end', onDown);
        });
      } else if (st !== 'ready') {
        throw new Error(`redis connection ${st}`);
      }
      await Promise.race([this.fastConn.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), timeoutMs))]);
      return { ok: true, latencyMs: Date.now() - t0 };
    } catch (err) {
      return { ok: false, latencyMs: Date.now() - t0, error: (err as Error).message };
    }
  }

  async assertAvailable(): Promise<void> {
    const p = await this.ping();
    if (!p.ok) throw new UnavailableError('redis', 'The job queue (Redis) is unavailable');
  }

  async add(queue: QueueName, name: string, data: unknown, opts: JobsOptions & { jobId: string }): Promise<string> {
    await this.assertAvailable();
    const job = await this.queue(queue).add(name, data, {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
      ...opts,
    });
    return job.id!;
  }

  async getJob(id: string): Promise<JobView> {
    const q = this.queueOfJobId(id);
    if (!q) throw new NotFoundError('job', id);
    await this.assertAvailable();
    // State first, then the job hash: read the other way round, a job finishing in between
    // shows as completed without its result.
    const state = await this.queue(q).getJobState(id);
    const job = await this.queue(q).getJob(id);
    if (!job || state === 'unknown') throw new NotFoundError('job', id);
    return toView(q, job, state);
  }

  /** Marks a job cancelled. Waiting jobs are removed from the queue; active ones are told to stop. */
  async cancel(id: string): Promise<JobView> {
    const q = this.queueOfJobId(id);
    if (!q) throw new NotFoundError('job', id);
    await this.assertAvailable();
    const job = await this.queue(q).getJob(id);
    if (!job) throw new NotFoundError('job', id);
    await this.connection.set(cancelKey(this.prefix, id), '1', 'EX', 7 * 24 * 3600);
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      await job.remove().catch(() => {});
      await this.connection.publish(cancelChannel(this.prefix), id);
      return { ...toView(q, job, 'waiting'), state: 'cancelled' };
    }
    await this.connection.publish(cancelChannel(this.prefix), id);
    return toView(q, job, state);
  }

  async isCancelled(id: string): Promise<boolean> {
    return (await this.connection.exists(cancelKey(this.prefix, id))) === 1;
  }

  /** Subscribes to cancel requests (a dedicated connection, as Redis requires for pub/sub). */
  onCancel(listener: (jobId: string) => void): () => Promise<void> {
    const sub = new Redis(redisOptions(this.url));
    sub.on('error', () => {});
    void sub.subscribe(cancelChannel(this.prefix));
    sub.on('message', (_ch, id: string) => listener(id));
    return async () => {
      sub.disconnect();
    };
  }

  startWorker<T = unknown, R = unknown>(queue: QueueName, processor: Processor<T, R>, opts: Partial<WorkerOptions> = {}): Worker<T, R> {
    const w = new Worker<T, R>(queue, processor, {
      connection: redisOptions(this.url),
      prefix: this.prefix,
      concurrency: 1,
      lockDuration: 60_000,
      maxStalledCount: 3,
      ...opts,
    });
    w.on('error', () => {});
    this.workers.push(w as unknown as Worker);
    return w;
  }

  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const q of Object.values(QUEUES)) out[q] = await this.queue(q).getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.events.values()].map((e) => e.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
    this.fastConn.disconnect();
  }
}

function cancelKey(prefix: string, id: string): string {
  return `${prefix}:cancelled:${id}`;
}
function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

function iso(ms?: number): string | undefined {
  return ms ? new Date(ms).toISOString() : undefined;
}

export class JobCancelledError extends AtlasError {
  constructor(id: string) {
    super('JOB_CANCELLED', `job ${id} was cancelled`, { status: 409 });
  }
}

function toView(queue: QueueName, job: Job, bullState: string): JobView {
  const failedReason = job.failedReason ?? '';
  let state: PublicJobState;
  if (failedReason.startsWith('JOB_CANCELLED')) state = 'cancelled';
  else if (bullState === 'completed') state = 'completed';
  else if (bullState === 'failed') state = 'failed';
  else if (bullState === 'active') state = 'active';
  else state = 'waiting';
  const view: JobView = {
    id: job.id!,
    queue,
    name: job.name,
    state,
    progress: job.progress ?? 0,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    attempts: job.attemptsMade,
  };
  if (state === 'completed') view.result = job.returnvalue;
  if (state === 'failed' || state === 'cancelled') {
    const m = /^([A-Z_]+): (.*)$/s.exec(failedReason);
    view.error = m ? { code: m[1]!, message: m[2]! } : { code: 'JOB_FAILED', message: failedReason || 'failed' };
  }
  return view;
}
