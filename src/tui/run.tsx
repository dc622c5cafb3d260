import { render, renderToString } from 'ink';
import type { CliIO } from '../shared/io.js';
import { App } from './App.js';
import { Dashboard } from './components/Dashboard.js';
import type { DataSource } from './data/snapshot.js';
import { ThemeContext, themeFor } from './theme.js';

// The two ways to show the console: live on a terminal (runInteractive), or one frame as text
// (renderFrame, for `--once`: scripts, tests, screenshots; no terminal needed). src/cli/commands/dash.ts
// picks one; nothing here opens a connection.

/** Until `q` (or Ctrl-C): Ink on the given terminal, refreshing every intervalMs. */
export async function runInteractive(source: DataSource, options: { io: CliIO; intervalMs: number; contextName?: string | undefined }): Promise<void> {
  const { io } = options;
  const theme = themeFor(io.env, true);
  const instance = render(
    <ThemeContext.Provider value={theme}>
      <App source={source} intervalMs={options.intervalMs} contextName={options.contextName} />
    </ThemeContext.Provider>,
    {
      stdout: io.stdout as NodeJS.WriteStream,
      stderr: io.stderr as NodeJS.WriteStream,
      stdin: io.stdin as NodeJS.ReadStream,
      exitOnCtrlC: true,
      patchConsole: true,
    },
  );
  await instance.waitUntilExit();
}

/** One frame, from one snapshot, as text `columns` wide and as tall as its content. */
export async function renderFrame(
  source: DataSource,
  options: { io: CliIO; columns: number; intervalMs: number; contextName?: string | undefined },
): Promise<string> {
  const snapshot = await source.snapshot(null);
  const theme = themeFor(options.io.env, Boolean(options.io.stdout.isTTY));
  return renderToString(
    <ThemeContext.Provider value={theme}>
      <Dashboard
        snapshot={snapshot}
        error={null}
        paused={false}
        slow={false}
        selectedId={null}
        help={false}
        columns={options.columns}
        intervalMs={options.intervalMs}
        once
        contextName={options.contextName}
      />
    </ThemeContext.Provider>,
    { columns: options.columns },
  );
}
