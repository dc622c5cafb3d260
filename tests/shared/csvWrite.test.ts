import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from '../../src/shared/csvWrite.js';

describe('csvField', () => {
  it('quotes only what needs it (RFC 4180)', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', ' pad', '', null, undefined].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '" pad"', '', '', '']);
  });

  it('neutralises what a spreadsheet would run as a formula, with a leading apostrophe (issue 11)', () => {
    expect(['=HYPERLINK("http://x","y")', '+SUM(A1:A9)', '-2+3', '@cmd', '\tTAB', '\rCR', '=1+1'].map(csvField)).toEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      "'+SUM(A1:A9)",
      "'-2+3",
      "'@cmd",
      "'\tTAB",
      `"'\rCR"`,
      "'=1+1",
    ]);
  });

  it('leaves numbers, dates and harmless text alone', () => {
    expect([-5, 0, 12.5, new Date('2026-12-02T00:00:00Z'), 'A-1', 'x=1', 'a+b'].map(csvField)).toEqual(['-5', '0', '12.5', '2026-12-02T00:00:00.000Z', 'A-1', 'x=1', 'a+b']);
    // a phone number in E.164, a signed amount: numbers to a spreadsheet, nothing to run
    expect(['+15550200004', '-12', '+3.5', '+1 555', '-1e3'].map(csvField)).toEqual(['+15550200004', '-12', '+3.5', "'+1 555", "'-1e3"]);
  });

  it('makes a line', () => {
    expect(csvLine([1, '=2', null, 'c'])).toBe("1,'=2,,c\n");
  });
});
