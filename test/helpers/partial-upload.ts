/**
 * Uploads that can be cut short, for kill and shutdown tests: a request whose body is sent only in
 * part (the server is then killed or stopped under it), plus the few raw tus calls a resuming
 * client makes (create, HEAD for the offset, PATCH the rest).
 */
import { request } from 'node:http';
import { authHeaders } from './app-server.js';

export interface PartialResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface PartialRequest {
  /** The response, or the error that ended the request (ECONNRESET when the server died). */
  done: Promise<PartialResponse | Error>;
  /** Sends the rest of the body. */
  finish(): void;
}

/** Starts a request declaring the whole body's length and sends its first `sendBytes`. */
export function startPartialRequest(options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  sendBytes: number;
}): PartialRequest {
  const { body, sendBytes } = options;
  const req = request(options.url, { method: options.method, headers: { ...options.headers, 'Content-Length': String(body.length) } });
  const done = new Promise<PartialResponse | Error>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', resolve);
    });
    req.on('error', resolve);
  });
  req.write(body.subarray(0, sendBytes));
  return {
    done,
    finish() {
      req.end(body.subarray(sendBytes));
    },
  };
}

/** A multipart/form-data body with `fields` and one file in the field "file". */
export function multipartBody(options: { fields?: Record<string, string>; file: Buffer; fileName: string }): { body: Buffer; contentType: string } {
  const boundary = `----streamforge-test-${Math.random().toString(36).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(options.fields ?? {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${options.fileName}"\r\nContent-Type: video/mp4\r\n\r\n`));
  parts.push(options.file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const TUS_HEADERS: Readonly<Record<string, string>> = { 'Tus-Resumable': '1.0.0', ...authHeaders };

/** Creates a tus upload of `size` bytes; returns its absolute URL and id. */
export async function createTusUpload(baseUrl: string, options: { size: number; fileName: string; title?: string }): Promise<{ url: string; id: string }> {
  const meta = [`filename ${Buffer.from(options.fileName).toString('base64')}`];
  if (options.title) meta.push(`title ${Buffer.from(options.title).toString('base64')}`);
  const res = await fetch(`${baseUrl}/api/uploads`, {
    method: 'POST',
    headers: { ...TUS_HEADERS, 'Upload-Length': String(options.size), 'Upload-Metadata': meta.join(',') },
  });
  if (res.status !== 201) throw new Error(`tus creation: HTTP ${res.status} ${await res.text()}`);
  const location = res.headers.get('location')!;
  const url = new URL(location, baseUrl).toString();
  return { url, id: url.split('/').pop()! };
}

/** The server's offset of a tus upload (HEAD), as a resuming client asks it. */
export async function tusOffset(url: string): Promise<number> {
  const res = await fetch(url, { method: 'HEAD', headers: TUS_HEADERS });
  if (res.status !== 200) throw new Error(`tus HEAD: HTTP ${res.status}`);
  return Number(res.headers.get('upload-offset'));
}

/** PATCHes `bytes` at `offset`; returns the status and the video id header of a completing PATCH. */
export async function tusPatch(url: string, offset: number, bytes: Buffer): Promise<{ status: number; videoId: string | null; text: string }> {
  const res = await fetch(url, {
    method: 'PATCH',
    headers: { ...TUS_HEADERS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: new Uint8Array(bytes),
  });
  return { status: res.status, videoId: res.headers.get('streamforge-video-id'), text: await res.text() };
}
