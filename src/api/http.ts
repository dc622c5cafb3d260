import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageError } from '../shared/errors.js';

/**
 * A client error (4xx) with the status and message the caller gets, as src/api/errorStatus.ts
 * answers it: the handler knows which status fits what the caller sent. What the caller sent was
 * wrong, so it is a UsageError (never retried).
 */
export class HttpError extends UsageError {
  constructor(
    readonly status: number,
    message: string,
    readonly options: { close?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

/** Every JSON answer of the API: `{success:false, error}` for errors, as docs/api.md lists. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;
