import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client error (or a dependency down) with the status and message the caller gets. */
export class HttpError extends Error {
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

export function sendError(res: ServerResponse, error: HttpError): void {
  const headers: Record<string, string> = { ...error.options.headers };
  if (error.options.close) headers.connection = 'close';
  sendJson(res, error.status, { success: false, error: error.message }, headers);
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;
