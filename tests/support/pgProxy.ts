import * as net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL for fault tests: connections pass through until cut(), which
 * stops listening (new connections are refused: ECONNREFUSED) and destroys every open one (the
 * client sees "Connection terminated unexpectedly"); restore() listens again on the same port.
 * blackHole() is the nastier fault, an unreachable host: connections stay open and new ones are
 * accepted, but no byte goes through in either direction (nothing errors, nothing closes) until
 * heal(), which forwards again what was held back, as TCP does once a partition ends.
 */
export class PgProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private holed = false;
  private listenPort = 0;
  /** Connections accepted since start (a reconnecting pool shows up here). */
  accepted = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(target: { host?: string; port?: number } = {}): Promise<PgProxy> {
    const proxy = new PgProxy(target.host ?? '127.0.0.1', target.port ?? 5432);
    await proxy.listen(0);
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** The same database URL, through this proxy. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.listenPort);
    return url.toString();
  }

  get isCut(): boolean {
    return this.server === undefined;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get isBlackHoled(): boolean {
    return this.holed;
  }

  /** Stops forwarding bytes, both ways, on every connection, open or new; closes nothing. */
  blackHole(): void {
    this.holed = true;
    for (const pair of this.pairs) this.hold(pair);
  }

  /** Forwards again (what was held back first). */
  heal(): void {
    this.holed = false;
    for (const pair of this.pairs) this.join(pair);
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen(this.listenPort);
  }

  async close(): Promise<void> {
    this.holed = false;
    await this.cut();
  }

  private async listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.listenPort = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private forward(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.on('close', () => this.pairs.delete(pair));
    if (this.holed) this.hold(pair);
    else this.join(pair);
  }

  private hold({ client, upstream }: { client: net.Socket; upstream: net.Socket }): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  private join({ client, upstream }: { client: net.Socket; upstream: net.Socket }): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
