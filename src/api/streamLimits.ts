import { HttpError } from './http.js';

/** Defaults of serve's --max-streams and --max-streams-per-member (docs/api.md). */
export const DEFAULT_MAX_STREAMS = 1_000;
export const DEFAULT_MAX_STREAMS_PER_MEMBER = 5;
/** Defaults of serve's --stream-max-lifetime and --max-connections. */
export const DEFAULT_STREAM_MAX_MS = 3_600_000;
export const DEFAULT_MAX_CONNECTIONS = 2_000;

/**
 * The caps on open live streams: per member (one token cannot hold the server's streams) and in
 * total. A slot is taken before the stream registers anything and given back when it closes; over
 * a cap the caller gets 429 with Retry-After (src/api/errorStatus.ts answers the HttpError).
 */
export class StreamLimits {
  private total = 0;
  private readonly perMember = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerMember: number,
  ) {}

  get open(): number {
    return this.total;
  }

  /** Takes a slot for `member` or throws 429; the returned release may be called more than once. */
  acquire(member: string): () => void {
    const mine = this.perMember.get(member) ?? 0;
    if (mine >= this.maxPerMember) {
      throw new HttpError(429, `too many open streams for this member (limit ${this.maxPerMember}); close one and retry`, { headers: { 'retry-after': '5' } });
    }
    if (this.total >= this.maxTotal) {
      throw new HttpError(429, `too many open streams on this server (limit ${this.maxTotal}); retry shortly`, { headers: { 'retry-after': '5' } });
    }
    this.perMember.set(member, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perMember.get(member) ?? 1) - 1;
      if (left <= 0) this.perMember.delete(member);
      else this.perMember.set(member, left);
    };
  }
}
