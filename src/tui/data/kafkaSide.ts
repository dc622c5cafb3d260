import type { Admin } from 'kafkajs';
import type { KafkaSettings } from '../../kafka/settings.js';
import { readLag } from './kafkaLag.js';
import { SidePoller } from './sidePoller.js';
import type { LagReport } from './snapshot.js';

/**
 * Consumer lag for the console: one admin client, connected on the first refresh and again after
 * a failure, never at start-up, so a broker that is down shows in the lag panel and nowhere else.
 * The client is not src/kafka/client.ts's: that one retries for up to half a minute and logs to
 * stderr, where a console wants one quick try per refresh (the next refresh is the retry, and
 * `q` must not wait for a back-off) and no line that would tear its frame.
 */
export function kafkaLagPoller(
  settings: KafkaSettings,
  group: string,
  timeoutMs: number,
): { poller: SidePoller<LagReport>; close(): Promise<void> } {
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  let closed = false;

  const drop = async (): Promise<void> => {
    const current = admin;
    admin = undefined;
    connected = undefined;
    await current?.disconnect().catch(() => {});
  };

  const poller = new SidePoller<LagReport>(
    async () => {
      if (closed) throw new Error('closed');
      if (!admin) {
        const { Kafka, logLevel } = await import('kafkajs');
        const kafka = new Kafka({
          clientId: 'redeemctl-dash',
          brokers: settings.brokers,
          logLevel: logLevel.NOTHING,
          connectionTimeout: Math.min(timeoutMs, 3_000),
          requestTimeout: Math.max(timeoutMs, 1_000),
          retry: { retries: 0 },
          ...settings.security?.clientConfig(), // TLS and SASL (KAFKA_SSL*, KAFKA_SASL*)
        });
        admin = kafka.admin();
        connected = admin.connect();
      }
      const client = admin;
      try {
        await connected;
        return await readLag(client, group, settings.topic);
      } catch (error) {
        if (admin === client) await drop();
        throw error;
      }
    },
    timeoutMs,
    (error) => `Kafka at ${settings.brokers.join(',')}: ${error instanceof Error ? error.message : String(error)}`,
  );

  return {
    poller,
    async close() {
      closed = true;
      await drop();
    },
  };
}
