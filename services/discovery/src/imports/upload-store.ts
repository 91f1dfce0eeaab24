import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ValidationError } from '../../../core/src/errors.js';

/**
 * Uploaded files are streamed to the data folder and the job carries only their path: job
 * payloads in Redis stay small whatever the file size. API and workers share this folder
 * (one volume in docker-compose). A job's file is removed when the job finishes for good.
 */
export function uploadPath(dataDir: string, jobId: string, ext: string): string {
  return join(dataDir, 'uploads', `${jobId}.${ext}`);
}

export async function saveUpload(source: NodeJS.ReadableStream | AsyncIterable<Buffer | string>, path: string): Promise<number> {
  await mkdir(join(path, '..'), { recursive: true });
  try {
    await pipeline(source as NodeJS.ReadableStream, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  const size = (await stat(path)).size;
  if (size === 0) {
    await rm(path, { force: true });
    throw new ValidationError('EMPTY_BODY', 'the uploaded file is empty');
  }
  return size;
}

export async function removeUpload(path: string): Promise<void> {
  await rm(path, { force: true });
}
