/**
 * What an id is, once for the whole tree: the HTTP API (reward_id, the token's sub and
 * merchant_id), the worker's event schema (src/kafka/redemptionEvent.ts), the CLI's keys and the
 * engine's checks all ask this, so an id the API publishes is one the worker reads, and an id the
 * worker would refuse the API refuses first (docs/api.md).
 *
 * An RFC 9562 uuid in its hyphenated form, any case: version 1 to 8 and the RFC variant (10xx:
 * the fourth group starts with 8, 9, a or b), like every id this system makes (gen_random_uuid,
 * uuid v5). This is zod's z.uuid() less the nil and max uuids, which name nothing: they are no
 * member, reward or merchant. Other shapes PostgreSQL would cast (braces, no hyphens, urn:uuid:)
 * are not ids here.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
