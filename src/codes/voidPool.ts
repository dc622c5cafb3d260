import type { Database } from '../db/database.js';
import type { Outcome } from '../shared/outcome.js';
import { resolvePoolReward } from './poolReward.js';
import { voidCodes, type VoidBy } from './voidCodes.js';
import { describeSelection, voidExitCode, type VoidResult } from './voidResult.js';

// `codes void` for the pool reward an operator named: the reward resolved, the plan asked about
// (when `ask` is given) before anything changes, then the void; its exit code.

export interface PoolVoid {
  merchantId: string;
  rewardKey: string;
  by: VoidBy;
  value: string;
  reason: string;
  actor: string;
  dryRun: boolean;
  /** Asks the operator the question; throws to stop. Undefined: go ahead without asking. */
  ask?: ((question: string) => Promise<void>) | undefined;
}

export async function voidPool(database: Database, request: PoolVoid): Promise<Outcome<VoidResult>> {
  const reward = await resolvePoolReward(database.db, request.merchantId, request.rewardKey);
  const { by, value, ask } = request;
  const result = await voidCodes(database, {
    merchantId: request.merchantId,
    reward,
    by,
    value,
    reason: request.reason,
    actor: request.actor,
    dryRun: request.dryRun,
    confirm: async (plan) => {
      if (!ask) return;
      const held = plan.held > 0 ? ` (${plan.held} held by live redemptions stay as they are)` : '';
      await ask(`Void the ${plan.available} available ${describeSelection({ reward_code: reward.rewardCode, by, value })}${held}?`);
    },
  });
  return { exitCode: voidExitCode(result), result };
}
