// s3rver 3.7 as a server process for tests (started by s3-server.ts): `node --openssl-legacy-provider
// s3rver-process.mjs <directory>` prints `{"port":N}` once it listens on 127.0.0.1 and exits when its
// stdin closes (so it never outlives the test process).
//
// Why a process of its own: s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 17+
// (OpenSSL 3) refuses unless started with --openssl-legacy-provider, so in the test process every
// listing longer than one page would fail with InternalError.
//
// A thin front gives s3rver two things S3 has and it lacks:
// - AbortMultipartUpload (s3rver answers 405) and ListMultipartUploads (501), served from s3rver's own
//   record of pending uploads (`<bucket>/._S3rver_uploads/<uploadId>/key`);
// - atomic replacement: s3rver rewrites an object's file in place (then its metadata), so a read that
//   overlaps a write of the same key can get a torn or mismatched object, where S3 serves the old or
//   the new version whole. The front never lets a read and a write of one key overlap.
// Every request is otherwise passed to s3rver untouched.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-process.mjs <directory>');
const UPLOADS_DIR = '._S3rver_uploads';

const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false });
const s3rverHandler = s3rver.callback();

const server = http.createServer((req, res) => {
  handleMissingMultipartCalls(req, res).then(
    async (handled) => {
      if (handled) return;
      const access = accessOf(req);
      if (access === null) {
        s3rverHandler(req, res);
        return;
      }
      const release = await locks.acquire(access.key, access.mode);
      res.once('close', release);
      s3rverHandler(req, res);
    },
    (err) => {
      res.writeHead(500);
      res.end(String(err));
    },
  );
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

async function handleMissingMultipartCalls(req, res) {
  const url = new URL(req.url ?? '/', 'http://s3');
  const [bucket, ...keyParts] = url.pathname.slice(1).split('/');
  if (!bucket) return false;
  const uploadsDir = path.join(directory, bucket, UPLOADS_DIR);
  if (req.method === 'DELETE' && url.searchParams.has('uploadId') && keyParts.length > 0) {
    req.resume();
    const uploadDir = path.join(uploadsDir, path.basename(url.searchParams.get('uploadId')));
    const exists = await fs.stat(uploadDir).then(() => true, () => false);
    if (!exists) {
      res.writeHead(404, { 'Content-Type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>');
      return true;
    }
    await fs.rm(uploadDir, { recursive: true, force: true });
    res.writeHead(204);
    res.end();
    return true;
  }
  if (req.method === 'GET' && url.searchParams.has('uploads') && keyParts.filter(Boolean).length === 0) {
    req.resume();
    const ids = await fs.readdir(uploadsDir).catch(() => []);
    const uploads = await Promise.all(
      ids.map(async (id) => {
        const key = await fs.readFile(path.join(uploadsDir, id, 'key'), 'utf8');
        const initiated = (await fs.stat(path.join(uploadsDir, id))).mtime.toISOString();
        return `<Upload><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`;
      }),
    );
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
        `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
    );
    return true;
  }
  return false;
}

/** Whether a request reads or replaces one object's bytes: GET/HEAD read; PUT and CompleteMultipartUpload write. */
function accessOf(req) {
  const url = new URL(req.url ?? '/', 'http://s3');
  const [bucket, ...keyParts] = url.pathname.slice(1).split('/');
  const key = keyParts.join('/');
  if (!bucket || !key) return null;
  const lockKey = `${bucket}/${key}`;
  if (req.method === 'GET' || req.method === 'HEAD') return { key: lockKey, mode: 'read' };
  if (req.method === 'PUT' && !url.searchParams.has('uploadId')) return { key: lockKey, mode: 'write' };
  if (req.method === 'POST' && url.searchParams.has('uploadId')) return { key: lockKey, mode: 'write' };
  return null;
}

/** Per-key readers–writer locks; a waiting writer holds back new readers, so writes are not starved. */
const locks = {
  states: new Map(),
  acquire(key, mode) {
    let state = this.states.get(key);
    if (state === undefined) {
      state = { readers: 0, writing: false, waiting: [] };
      this.states.set(key, state);
    }
    return new Promise((resolve) => {
      state.waiting.push({ mode, grant: resolve });
      this.pump(key, state);
    });
  },
  pump(key, state) {
    while (state.waiting.length > 0) {
      const next = state.waiting[0];
      const free = next.mode === 'read' ? !state.writing : !state.writing && state.readers === 0;
      if (!free) break;
      state.waiting.shift();
      if (next.mode === 'read') state.readers++;
      else state.writing = true;
      let released = false;
      next.grant(() => {
        if (released) return;
        released = true;
        if (next.mode === 'read') state.readers--;
        else state.writing = false;
        this.pump(key, state);
      });
    }
    if (state.readers === 0 && !state.writing && state.waiting.length === 0) this.states.delete(key);
  },
};

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
