import type { IncomingMessage } from 'node:http';
import { HttpError } from './http.js';

/** A redemption request is a few dozen bytes; 16 KiB leaves room for clients that add fields. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * Reads a JSON object body: 415 unless the content type is application/json, 413 as soon as the
 * declared or received size passes the limit (reading stops there, nothing more is buffered),
 * 400 for bad JSON or JSON that is not an object. Never throws anything but an HttpError for what
 * the client sent.
 */
export async function readJsonObject(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'content-type must be application/json');
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);

  const text = await readLimited(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading: the response closes the connection rather than draining the rest.
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      // a redemption request arrives in one chunk: no copy then
      resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError(400, `could not read the body: ${error.message}`));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `body is larger than ${limit} bytes`, { close: true });
}
