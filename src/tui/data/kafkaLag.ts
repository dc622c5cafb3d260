import type { Admin } from 'kafkajs';
import type { LagReport, PartitionLag } from './snapshot.js';

// Consumer lag per partition, from the broker (kafkajs admin): the topic's high watermarks against
// the group's committed offsets. It shows a stopped worker too, which the worker's own gauge cannot.
// One try per refresh, unlike src/kafka/opsClients.ts's helpers: the console asks again at the
// next refresh anyway, and `q` must not wait for a back-off to run out.

export async function readLag(admin: Admin, group: string, topic: string): Promise<LagReport> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new Error(`topic ${topic} does not exist`);
  const [watermarks, [committedTopic], { groups }] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
    admin.describeGroups([group]),
  ]);
  const committed = new Map((committedTopic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const partitions = watermarks
    .map(({ partition, low, high }): PartitionLag => {
      const offset = committed.get(partition);
      const has = offset !== undefined && offset >= 0;
      const end = Number(high);
      return { partition, committed: has ? offset : null, high: end, lag: Math.max(0, end - (has ? offset : Number(low))) };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    group,
    topic,
    state: groups[0]?.state ?? 'Dead',
    members: groups[0]?.members.length ?? 0,
    partitions,
    total: partitions.reduce((sum, p) => sum + p.lag, 0),
  };
}
