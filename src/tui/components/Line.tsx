import { Text } from 'ink';
import type { ReactNode } from 'react';

/** One line of a panel, cut at the panel's edge rather than wrapped. */
export function Line({ children }: { children: ReactNode }) {
  return <Text wrap="truncate-end">{children}</Text>;
}
