import cronParser from 'cron-parser';
import { ValidationError } from '../../../core/src/errors.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';

/**
 * The ONLY module that creates, updates or removes BullMQ job schedulers. The scans API calls it
 * when a definition is created, updated or deleted; the alerts API calls
 * ensureMaintenanceSchedules when the app is ready. Workers never upsert at boot.
 * Scheduler ids are deterministic and every pattern is evaluated in UTC.
 */
export const SWEEP_SCHEDULER_ID = 'staleness-sweep';

export function scanSchedulerId(definitionId: string): string {
  return `scan-def-${definitionId}`;
}

/** A 5-field (minute) or 6-field (second) cron pattern, evaluated in UTC. */
export function validateSchedule(schedule: string, field = 'schedule'): string {
  const s = schedule.trim();
  const fields = s.split(/\s+/);
  if (fields.length < 5 || fields.length > 6 || !/^[0-9A-Za-z*/,\-? ]+$/.test(s)) {
    throw new ValidationError('SCHEDULE_INVALID', `${field} "${schedule}" is not a 5- or 6-field cron pattern`, { field });
  }
  try {
    cronParser.parseExpression(s, { tz: 'UTC' }).next();
  } catch (err) {
    throw new ValidationError('SCHEDULE_INVALID', `${field} "${schedule}" is not a valid cron pattern: ${(err as Error).message}`, { field });
  }
  return s;
}

export interface ScheduledScanData {
  definitionId: string;
}

export async function upsertScanSchedule(queues: QueueHub, def: { id: string; schedule: string | null; enabled: boolean }): Promise<void> {
  await queues.assertAvailable();
  const q = queues.queue('scan');
  if (!def.schedule || !def.enabled) {
    await q.removeJobScheduler(scanSchedulerId(def.id));
    return;
  }
  await q.upsertJobScheduler(
    scanSchedulerId(def.id),
    { pattern: def.schedule, tz: 'UTC' },
    { name: 'scheduled-scan', data: { definitionId: def.id } satisfies ScheduledScanData, opts: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: { count: 1_000 }, removeOnFail: { count: 1_000 } } },
  );
}

export async function removeScanSchedule(queues: QueueHub, definitionId: string): Promise<void> {
  await queues.queue('scan').removeJobScheduler(scanSchedulerId(definitionId));
}

export async function nextScanRun(queues: QueueHub, definitionId: string): Promise<string | null> {
  const s = await queues.queue('scan').getJobScheduler(scanSchedulerId(definitionId));
  return s?.next ? new Date(s.next).toISOString() : null;
}

export async function ensureMaintenanceSchedules(queues: QueueHub, sweepEverySeconds: number): Promise<void> {
  await queues.queue('maintenance').upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: sweepEverySeconds * 1000 },
    { name: 'staleness-sweep', data: {}, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
}
