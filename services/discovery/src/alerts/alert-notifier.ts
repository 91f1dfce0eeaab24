import { createHmac, randomUUID } from 'node:crypto';
import { openAlert, resolveAlerts, type Alert, type AlertChange, type AlertInput, type ResolveFilter } from '../../../core/src/graph/alert-repository.js';
import type { GraphClient } from '../../../core/src/graph/neo4j-client.js';
import type { QueueHub } from '../../../core/src/queue/queues.js';

/**
 * Opens/resolves alerts and queues one signed webhook delivery per URL and event. Delivery is a
 * job on the maintenance queue (retried with exponential backoff), so a slow or dead receiver
 * never blocks the sweep or the scan that raised the alert.
 */
export interface WebhookJobData {
  url: string;
  deliveryId: string;
  body: string;
}

export interface WebhookSettings {
  urls: string[];
  secret: string | undefined;
}

export function parseWebhookUrls(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class AlertNotifier {
  constructor(
    private readonly graph: GraphClient,
    private readonly queues: QueueHub | null,
    private readonly webhooks: WebhookSettings,
  ) {}

  async open(input: AlertInput): Promise<AlertChange> {
    const change = await openAlert(this.graph, input);
    if (change.event === 'opened') await this.deliver(change.alert, 'opened');
    return change;
  }

  async resolve(filter: ResolveFilter, note?: string): Promise<Alert[]> {
    const resolved = await resolveAlerts(this.graph, filter, note);
    for (const a of resolved) await this.deliver(a, 'resolved');
    return resolved;
  }

  async deliver(alert: Alert, event: string): Promise<void> {
    if (!this.queues || this.webhooks.urls.length === 0) return;
    const deliveryId = `${alert.id}-${event}-${alert.history.length}`;
    const body = JSON.stringify({ event, deliveryId, alert: { ...alert, history: undefined } });
    for (let i = 0; i < this.webhooks.urls.length; i++) {
      const data: WebhookJobData = { url: this.webhooks.urls[i]!, deliveryId, body };
      try {
        await this.queues.add('maintenance', 'webhook', data, {
          jobId: this.queues.newJobId('maintenance', `wh-${deliveryId}-${i}`),
          attempts: 8,
          backoff: { type: 'exponential', delay: 1_000 },
        });
      } catch {
        // Redis down: the alert is in the graph; losing one notification must not fail the caller.
      }
    }
  }
}

/** Sends one delivery; throws on a non-2xx answer or a network error so BullMQ retries it. */
export async function sendWebhook(data: WebhookJobData, secret: string | undefined, timeoutMs = 5_000): Promise<{ status: number }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-atlas-delivery': data.deliveryId, 'x-atlas-request': randomUUID() };
  if (secret) headers['x-atlas-signature'] = signBody(secret, data.body);
  const res = await fetch(data.url, { method: 'POST', headers, body: data.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${data.url} answered ${res.status}`);
  return { status: res.status };
}
