import { useContext } from 'react';
import { ThemeContext, type Theme } from '../theme.js';

/** The colour tokens in force (theme.ts); plain when colour is off. */
export function useTheme(): Theme {
  return useContext(ThemeContext);
}
