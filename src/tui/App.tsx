import { useApp, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { PoolHealth } from '../monitoring/poolHealth.js';
import { Dashboard } from './components/Dashboard.js';
import type { DataSource } from './data/snapshot.js';
import { useDashboardData } from './hooks/useDashboardData.js';
import { usePaused } from './hooks/usePaused.js';
import { useSelection } from './hooks/useSelection.js';
import { useTerminalSize } from './hooks/useTerminalSize.js';
import { actionFor } from './keys.js';

export interface AppProps {
  source: DataSource;
  intervalMs: number;
  contextName?: string | undefined;
}

/** The interactive console: the hooks hold the state, keys.ts maps the keys, Dashboard draws. */
export function App({ source, intervalMs, contextName }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const { paused, toggle } = usePaused();
  const [help, setHelp] = useState(false);
  const selection = useSelection();
  const data = useDashboardData(source, { intervalMs, paused, selectedId: selection.selectedId });
  // The key handler reads the pools through a ref: Ink re-subscribes it in an effect, which may
  // not have run yet when a key arrives right after a refresh.
  const pools = useRef<PoolHealth[]>([]);
  pools.current = data.snapshot?.pools ?? [];

  useInput((input, key) => {
    switch (actionFor(input, key)) {
      case 'quit':
        exit();
        break;
      case 'pause':
        toggle();
        break;
      case 'up':
        selection.move(pools.current, -1);
        break;
      case 'down':
        selection.move(pools.current, 1);
        break;
      case 'help':
        setHelp((h) => !h);
        break;
      case 'close':
        setHelp(false);
        break;
      default:
        break;
    }
  });

  return (
    <Dashboard
      snapshot={data.snapshot}
      error={data.error}
      paused={paused}
      slow={data.slow}
      selectedId={selection.selectedId}
      help={help}
      columns={columns}
      rows={rows}
      intervalMs={intervalMs}
      contextName={contextName}
    />
  );
}
