import { createContext } from 'react';

// The console's colours, as named tokens. Components ask for a token (theme.low), never for a
// colour, so a palette change is one line here. Colour is off under NO_COLOR (https://no-color.org),
// with TERM=dumb, and off a terminal; then no token has a colour and nothing is bold or inverse,
// so the output carries no escape sequence at all and the marks (!! EMPTY, ! LOW, ›) still speak.

const PALETTE = {
  /** EMPTY pools, failures, an unreachable database */
  empty: 'red',
  /** LOW pools, PAUSED, a slow refresh */
  low: 'yellow',
  ok: 'green',
  error: 'red',
  warn: 'yellow',
  /** panel titles and the header */
  title: 'cyan',
  /** the bars of the charts */
  bar: 'cyan',
  barAlt: 'magenta',
  /** labels, axes, borders: what the eye should skip */
  muted: 'gray',
  border: 'gray',
} as const;

export type Token = keyof typeof PALETTE;

export type Theme = { readonly [K in Token]: string | undefined } & {
  /** bold and inverse (the selected row) are used only with colour */
  readonly emphasis: boolean;
};

export const COLOUR_THEME: Theme = { ...PALETTE, emphasis: true };

export const PLAIN_THEME: Theme = {
  ...(Object.fromEntries(Object.keys(PALETTE).map((k) => [k, undefined])) as { [K in Token]: undefined }),
  emphasis: false,
};

/** Colour when the output is a terminal and neither NO_COLOR nor TERM=dumb says otherwise. */
export function themeFor(env: Record<string, string | undefined>, isTTY: boolean): Theme {
  const off = env.NO_COLOR !== undefined || env.TERM === 'dumb' || !isTTY;
  return off ? PLAIN_THEME : COLOUR_THEME;
}

export const ThemeContext = createContext<Theme>(PLAIN_THEME);
