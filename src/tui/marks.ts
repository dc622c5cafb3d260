import type { PoolStatus } from '../monitoring/forecast.js';
import type { Theme } from './theme.js';

/** The alert marks of `pool health`, with their colour token: readable with colour off too. */
export function statusMark(status: PoolStatus, theme: Theme): { text: string; color: string | undefined } {
  if (status === 'EMPTY') return { text: '!! EMPTY', color: theme.empty };
  if (status === 'LOW') return { text: '! LOW', color: theme.low };
  return { text: 'OK', color: theme.ok };
}
