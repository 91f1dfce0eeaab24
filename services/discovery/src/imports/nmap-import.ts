import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { QueueHub } from '../../../core/src/queue/queues.js';
import { parseNmapXml } from '../nmap/nmap-xml-parser.js';
import { removeUpload, saveUpload, uploadPath } from './upload-store.js';

export interface NmapImportJobData {
  kind: 'nmap';
  path: string;
  sourceId: string;
  filename?: string;
  requestedBy?: string;
}

/**
 * Reads just enough of a saved upload to know it is an nmap document we accept: the DTD check
 * and the root-element check happen before the first host, so a refused file never becomes a job.
 */
export async function precheckNmapXml(path: string): Promise<void> {
  for await (const ev of parseNmapXml(createReadStream(path))) {
    if (ev.type === 'run' || ev.type === 'host' || ev.type === 'end') return;
  }
}

/** Saves an nmap XML upload, checks it, and queues the import. Returns the job id. */
export async function acceptNmapUpload(
  queues: QueueHub,
  dataDir: string,
  body: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  meta: { sourceId?: string; filename?: string; requestedBy?: string } = {},
): Promise<string> {
  await queues.assertAvailable();
  const jobId = queues.newJobId('import', randomUUID());
  const path = uploadPath(dataDir, jobId, 'xml');
  await saveUpload(body, path);
  try {
    await precheckNmapXml(path);
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
  const data: NmapImportJobData = { kind: 'nmap', path, sourceId: meta.sourceId ?? 'nmap-import', filename: meta.filename, requestedBy: meta.requestedBy };
  try {
    return await queues.add('import', 'nmap', data, { jobId });
  } catch (err) {
    await removeUpload(path);
    throw err;
  }
}
