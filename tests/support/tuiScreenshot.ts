import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// A terminal screen (tmux capture-pane -e: text with SGR colour sequences) drawn as a PNG by
// ImageMagick's `convert`, cell by cell in DejaVu Sans Mono: characters as glyphs, block elements
// (the bars and charts) as rectangles and box-drawing characters as lines, so they join without
// gaps whatever the font's line height. Used by tests/tui/screenshot.test.ts for docs/dash.png.

const run = promisify(execFile);

export interface Cell {
  ch: string;
  fg: string;
  bg: string | undefined;
  bold: boolean;
}

const BACKGROUND = '#1b1d23';
const FOREGROUND = '#d4d7dd';
/** The 16 ANSI colours, a dark theme's. */
const ANSI_16 = [
  '#2b2f37', '#ef5f6b', '#6cc48b', '#e8c16f', '#62aeef', '#c77ddb', '#4fc1d0', '#c8ccd4',
  '#7b818d', '#ff7a85', '#8bdca6', '#f5d58e', '#82c3ff', '#dc9ef0', '#74d8e4', '#ffffff',
];

function xterm256(n: number): string {
  if (n < 16) return ANSI_16[n]!;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `#${[v, v, v].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  }
  const i = n - 16;
  const level = (k: number) => (k === 0 ? 0 : 55 + k * 40);
  return `#${[Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6].map((k) => level(k).toString(16).padStart(2, '0')).join('')}`;
}

/** The screen as rows of cells, SGR state carried from one line to the next as a terminal does. */
export function parseScreen(text: string, columns: number, rows: number): Cell[][] {
  let fg: string | undefined;
  let bg: string | undefined;
  let bold = false;
  let dim = false;
  let inverse = false;
  const screen: Cell[][] = [];
  for (const line of text.split('\n').slice(0, rows)) {
    const row: Cell[] = [];
    for (const token of line.match(/\u001b\[[0-9;]*m|[^\u001b]/gu) ?? []) {
      if (token.startsWith('\u001b[')) {
        const codes = token.slice(2, -1).split(';').map((c) => (c === '' ? 0 : Number(c)));
        for (let i = 0; i < codes.length; i++) {
          const c = codes[i]!;
          if (c === 0) [fg, bg, bold, dim, inverse] = [undefined, undefined, false, false, false];
          else if (c === 1) bold = true;
          else if (c === 2) dim = true;
          else if (c === 22) [bold, dim] = [false, false];
          else if (c === 7) inverse = true;
          else if (c === 27) inverse = false;
          else if (c >= 30 && c <= 37) fg = ANSI_16[c - 30];
          else if (c >= 90 && c <= 97) fg = ANSI_16[c - 90 + 8];
          else if (c === 39) fg = undefined;
          else if (c >= 40 && c <= 47) bg = ANSI_16[c - 40];
          else if (c >= 100 && c <= 107) bg = ANSI_16[c - 100 + 8];
          else if (c === 49) bg = undefined;
          else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
            const colour = xterm256(codes[i + 2] ?? 0);
            if (c === 38) fg = colour;
            else bg = colour;
            i += 2;
          } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
            const colour = `#${codes.slice(i + 2, i + 5).map((v) => v.toString(16).padStart(2, '0')).join('')}`;
            if (c === 38) fg = colour;
            else bg = colour;
            i += 4;
          }
        }
        continue;
      }
      let f = fg ?? FOREGROUND;
      let b = bg;
      if (dim) f = mix(f, BACKGROUND);
      if (inverse) [f, b] = [b ?? BACKGROUND, f];
      row.push({ ch: token, fg: f, bg: b, bold });
    }
    screen.push(row.slice(0, columns));
  }
  return screen;
}

function mix(a: string, b: string): string {
  const parse = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [x, y] = [parse(a), parse(b)];
  return `#${x.map((v, i) => Math.round((v + y[i]!) / 2).toString(16).padStart(2, '0')).join('')}`;
}

const CELL_W = 10;
const CELL_H = 20;
const FONT_SIZE = 16;
const BASELINE = 15;
const PAD = 16;
const LOWER = ' ▁▂▃▄▅▆▇█';
const LEFT = ' ▏▎▍▌▋▊▉█';
/** Box drawing: which of the four arms (up, right, down, left) a character has. */
const ARMS: Record<string, [boolean, boolean, boolean, boolean]> = {
  '─': [false, true, false, true],
  '│': [true, false, true, false],
  '╭': [false, true, true, false],
  '╮': [false, false, true, true],
  '╰': [true, true, false, false],
  '╯': [true, false, false, true],
  '┤': [true, false, true, true],
  '└': [true, true, false, false],
  '┌': [false, true, true, false],
};

function quote(ch: string): string {
  if (ch === '"' || ch === '\\') return `'${ch === '\\' ? '\\\\' : ch}'`;
  return `"${ch}"`;
}

/** One MVG program per row (each is one -draw argument; ImageMagick's policy forbids reading @files). */
export function drawRows(screen: Cell[][]): string[] {
  return screen.map((row, r) => {
    const ops: string[] = [];
    const top = PAD + r * CELL_H;
    row.forEach((cell, c) => {
      const x = PAD + c * CELL_W;
      if (cell.bg) ops.push(`fill '${cell.bg}' rectangle ${x},${top} ${x + CELL_W - 1},${top + CELL_H - 1}`);
      if (cell.ch === ' ') return;
      const lower = LOWER.indexOf(cell.ch);
      const left = LEFT.indexOf(cell.ch);
      const arms = ARMS[cell.ch];
      if (lower > 0) {
        const h = Math.round((CELL_H * lower) / 8);
        ops.push(`fill '${cell.fg}' rectangle ${x},${top + CELL_H - h} ${x + CELL_W - 1},${top + CELL_H - 1}`);
      } else if (left > 0) {
        const w = Math.max(1, Math.round((CELL_W * left) / 8));
        ops.push(`fill '${cell.fg}' rectangle ${x},${top} ${x + w - 1},${top + CELL_H - 1}`);
      } else if (arms) {
        // Half-pixel centres: a one-pixel line lands on one pixel column or row, crisp.
        const [cx, cy] = [x + CELL_W / 2 + 0.5, top + CELL_H / 2 + 0.5];
        const [up, right, down, leftArm] = arms;
        const line = (x1: number, y1: number, x2: number, y2: number) => ops.push(`stroke '${cell.fg}' stroke-width 1 line ${x1},${y1} ${x2},${y2} stroke none`);
        if (up) line(cx, top, cx, cy);
        if (down) line(cx, cy, cx, top + CELL_H);
        if (leftArm) line(x, cy, cx, cy);
        if (right) line(cx, cy, x + CELL_W, cy);
      } else {
        ops.push(`font '${cell.bold ? 'DejaVu-Sans-Mono-Bold' : 'DejaVu-Sans-Mono'}' fill '${cell.fg}' text ${x},${top + BASELINE} ${quote(cell.ch)}`);
      }
    });
    return ops.join(' ');
  });
}

/** Draws the screen to `out` (PNG). Needs ImageMagick (apt-get install imagemagick). */
export async function screenToPng(ansi: string, out: string, columns: number, rows: number): Promise<void> {
  const screen = parseScreen(ansi, columns, rows);
  // Trailing empty rows are left out.
  while (screen.length > 0 && screen[screen.length - 1]!.every((cell) => cell.ch === ' ')) screen.pop();
  const width = PAD * 2 + columns * CELL_W;
  const height = PAD * 2 + screen.length * CELL_H;
  const draws = drawRows(screen).flatMap((mvg) => (mvg ? ['-draw', mvg] : []));
  await run('convert', ['-size', `${width}x${height}`, `xc:${BACKGROUND}`, '-pointsize', String(FONT_SIZE), '-font', 'DejaVu-Sans-Mono', ...draws, out], {
    maxBuffer: 16 * 1024 * 1024,
  });
}
