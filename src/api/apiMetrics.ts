import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The API's Prometheus metrics, in their own registry (tests start several servers in one
 * process). Route labels are the route patterns, never raw paths, so an id cannot explode the
 * series count.
 */
export class ApiMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly published: Counter;
  readonly publishFailures: Counter;
  readonly streamClients: Gauge;
  /**
   * The histogram's child per (method, route, status), made on first use: the labels object is
   * built once per combination, not per request. Bounded: node's parser admits a fixed set of
   * methods, routes are patterns, statuses are the API's own.
   */
  private readonly durationByLabels = new Map<string, { observe(seconds: number): void }>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.requestDuration = new Histogram({
      name: 'redeemctl_api_request_duration_seconds',
      help: 'HTTP request duration by route and status (SSE streams: time to the first byte)',
      labelNames: ['method', 'route', 'status'],
      // The bar is p99 under 5 ms (docs/benchmarks.md): fine buckets below that.
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.published = new Counter({
      name: 'redeemctl_api_events_published_total',
      help: 'Redemption events acknowledged by Kafka (answered 202)',
      registers: [registry],
    });
    this.publishFailures = new Counter({
      name: 'redeemctl_api_publish_failures_total',
      help: 'Redemption events Kafka did not acknowledge (answered 503)',
      registers: [registry],
    });
    this.streamClients = new Gauge({
      name: 'redeemctl_api_stream_clients',
      help: 'Open /redemptions/stream connections',
      registers: [registry],
    });
  }

  /** One answered request (the stream: time to its first byte). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.durationByLabels.get(key);
    if (!child) {
      child = this.requestDuration.labels({ method, route, status: String(status) });
      this.durationByLabels.set(key, child);
    }
    child.observe(seconds);
  }
}
