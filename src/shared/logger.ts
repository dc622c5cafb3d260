import { pino } from 'pino';

/**
 * Daemon logs: one line per event in the wording of docs/domain.md ("text", the default), or JSON
 * lines with the same message plus fields ("json", via pino). Secrets never go in fields.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogFormat = 'text' | 'json';

export function createLogger(format: LogFormat, stream: { write(line: string): unknown } = process.stdout): Logger {
  if (format === 'json') {
    const log = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, stream as NodeJS.WritableStream);
    return {
      info: (message, fields) => log.info(fields ?? {}, message),
      warn: (message, fields) => log.warn(fields ?? {}, message),
      error: (message, fields) => log.error(fields ?? {}, message),
    };
  }
  const line = (prefix: string) => (message: string) => {
    stream.write(`${prefix}${message}\n`);
  };
  return { info: line(''), warn: line('warning: '), error: line('error: ') };
}
