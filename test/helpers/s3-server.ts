/**
 * A real S3-compatible server for tests: s3rver 3.7 (S3's REST API over the local file system) in a
 * process of its own (s3rver-process.mjs, which says why), on a free port and a fresh directory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3RVER_REGION = 'us-east-1';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Where s3rver keeps buckets and objects. */
  directory: string;
  /** A client for this server (path-style, s3rver's credentials). */
  client(): S3Client;
  /** Creates a bucket with a fresh unique name and returns the name. */
  createBucket(): Promise<string>;
  /** Keys of the multipart uploads started and neither completed nor aborted. */
  pendingMultipartUploads(bucket: string): Promise<string[]>;
  close(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rver-process.mjs');

export async function startS3Server(): Promise<S3TestServer> {
  const directory = mkdtempSync(path.join(tmpdir(), 'sf-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SCRIPT, directory], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const made = new S3Client({
      endpoint,
      region: S3RVER_REGION,
      credentials: S3RVER_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(made);
    return made;
  };
  const admin = client();
  return {
    endpoint,
    directory,
    client,
    async createBucket() {
      const bucket = `sf-${randomBytes(6).toString('hex')}`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async pendingMultipartUploads(bucket) {
      const listed = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return (listed.Uploads ?? []).map((upload) => upload.Key ?? '');
    },
    async close() {
      for (const made of clients) made.destroy();
      // Closing its stdin ends the server (see s3rver-process.mjs); the pid is ours.
      child.stdin!.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
