// One definition of an id (a uuid) for the whole tree: the HTTP API, the token check and the
// worker's event schema all ask isUuid, so an id the API accepts the worker reads, and an id the
// worker would refuse the API refuses before publishing (docs/api.md, docs/worker.md).
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/api/postRedemption.js';
import { parseRedemptionEvent } from '../../src/kafka/redemptionEvent.js';
import { isUuid } from '../../src/shared/uuid.js';

const CASES: Array<[string, string, boolean]> = [
  ['version 4', 'b0f3c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b', true],
  ['version 4, upper case', 'B0F3C2A1-5D6E-4F70-8A9B-0C1D2E3F4A5B', true],
  ['version 5 (the API derives event ids so)', '0b7a4f0e-5d1c-5b8e-9a53-2f6c1d7e8a90', true],
  ['version 7', '01890a5d-ac96-774b-bcce-b302099a8057', true],
  ['version 1, variant b', 'c232ab00-9414-11ec-b3c8-9f6bdeced846', true],
  ['nil uuid (names nothing)', '00000000-0000-0000-0000-000000000000', false],
  ['max uuid (names nothing)', 'ffffffff-ffff-ffff-ffff-ffffffffffff', false],
  ['non-RFC variant (c: Microsoft)', 'b0f3c2a1-5d6e-4f70-ca9b-0c1d2e3f4a5b', false],
  ['non-RFC variant (0: NCS)', '11111111-1111-1111-1111-111111111111', false],
  ['version 0', 'b0f3c2a1-5d6e-0f70-8a9b-0c1d2e3f4a5b', false],
  ['version 9', 'b0f3c2a1-5d6e-9f70-8a9b-0c1d2e3f4a5b', false],
  ['no hyphens', 'b0f3c2a15d6e4f708a9b0c1d2e3f4a5b', false],
  ['braces', '{b0f3c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b}', false],
  ['urn form', 'urn:uuid:b0f3c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b', false],
  ['a trailing newline', 'b0f3c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b\n', false],
  ['a non-hex digit', 'g0f3c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b', false],
  ['empty', '', false],
];

/** Would the API take it as reward_id (400 otherwise)? */
function apiAccepts(id: string): boolean {
  try {
    validate({ reward_id: id });
    return true;
  } catch {
    return false;
  }
}

/** Would the worker read an event naming it as member, reward and merchant (DLQ otherwise)? */
function workerAccepts(id: string): boolean {
  return parseRedemptionEvent(JSON.stringify({ event_id: 'e-1', user_id: id, reward_id: id, merchant_id: id, quantity: 1 })).ok;
}

describe('isUuid', () => {
  it.each(CASES)('%s: %j → %s', (_, id, expected) => {
    expect(isUuid(id)).toBe(expected);
  });
});

describe('the API and the worker agree on what a uuid is', () => {
  it.each(CASES)('%s: %j → %s for both', (_, id, expected) => {
    expect({ api: apiAccepts(id), worker: workerAccepts(id) }).toEqual({ api: expected, worker: expected });
  });
});
