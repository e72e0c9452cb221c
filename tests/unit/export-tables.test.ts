/** Table and tensor export layouts shared by the Random and Attention labs (pure functions, no DOM). */
import { describe, expect, it } from 'vitest';
import { csvText, tableRecords } from '../../src/ui/common/export';
import { headCsv, headNested, tokenNames, weightsCsv } from '../../src/ui/attention/model';
import { MASKED_SENTINEL } from '../../src/kernels/attention/spec';

describe('CSV and JSON tables', () => {
  it('quotes cells with commas, quotes and line breaks (RFC 4180)', () => {
    expect(
      csvText([
        ['a', 'b,c'],
        ['say "hi"', 'x\ny'],
        [1.5, -2],
      ]),
    ).toBe('a,"b,c"\n"say ""hi""","x\ny"\n1.5,-2\n');
  });

  it('turns a header + rows table into records; non-finite numbers become null', () => {
    expect(
      tableRecords([
        ['quantity', 'value'],
        ['max diff', 1e-7],
        ['only one masked', Infinity],
        ['reason', 'not computed'],
      ]),
    ).toEqual([
      { quantity: 'max diff', value: 1e-7 },
      { quantity: 'only one masked', value: null },
      { quantity: 'reason', value: 'not computed' },
    ]);
    expect(tableRecords([])).toEqual([]);
  });
});

describe('attention head exports', () => {
  // [heads=2][rows=2][cols=3]; head 1 has one masked entry.
  const data = Float32Array.from([1, 2, 3, 4, 5, 6, 0.5, MASKED_SENTINEL, 0.25, -1, 0, 7]);

  it('headCsv writes one head with names, masked entries as -inf', () => {
    expect(headCsv('q \\ k', ['r0', 'r1'], ['a', 'b', 'c'], data, 1, 2, 3)).toEqual([
      ['q \\ k', 'a', 'b', 'c'],
      ['r0', 0.5, '-inf', 0.25],
      ['r1', -1, 0, 7],
    ]);
  });

  it('headNested writes one head as [row][col], masked entries as null', () => {
    expect(headNested(data, 0, 2, 3)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(headNested(data, 1, 2, 3)).toEqual([
      [0.5, null, 0.25],
      [-1, 0, 7],
    ]);
  });

  it('weightsCsv keeps its layout: "index:token" names on both axes', () => {
    const names = tokenNames(['the', 'the']);
    expect(names).toEqual(['0:the', '1:the']);
    expect(weightsCsv(['the', 'the'], Float32Array.from([1, 0, 0.5, 0.5]), 0, 2)).toEqual([
      ['query \\ key', ...names],
      ['0:the', 1, 0],
      ['1:the', 0.5, 0.5],
    ]);
  });
});
