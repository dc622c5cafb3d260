import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { fit } from '../format.js';
import { useTheme } from '../hooks/useTheme.js';

/**
 * A rounded box `width` cells wide with its title in the top border. Children are lines of at most
 * width − 4 cells (border and one space each side); Ink truncates anything longer.
 */
export function Panel({ title, width, children }: { title: string; width: number; children: ReactNode }) {
  const theme = useTheme();
  const name = fit(title, Math.max(1, width - 6)).trimEnd();
  const rule = '─'.repeat(Math.max(0, width - 5 - [...name].length));
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      <Text wrap="truncate-end">
        <Text color={theme.border}>╭─ </Text>
        <Text color={theme.title} bold={theme.emphasis}>
          {name}
        </Text>
        <Text color={theme.border}> {rule}╮</Text>
      </Text>
      <Box flexDirection="column" width={width} borderStyle="round" borderTop={false} borderColor={theme.border} paddingX={1}>
        {children}
      </Box>
    </Box>
  );
}

