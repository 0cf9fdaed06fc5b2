import { describe, expect, it } from 'vitest';
import { applyShape, resolveShape, type ColumnKind, type Shape } from '../../src/tools/shaping.js';
import { UserInputError } from '../../src/tools/errors.js';

const columns: Record<string, ColumnKind> = { id: 'number', name: 'string', amount: 'decimal', day: 'date', rep: 'number' };
const rows = [
  { id: 1, name: 'Alpha', amount: '10.50', day: '2004-01-05', rep: 7 },
  { id: 2, name: 'beta', amount: '9.00', day: '2003-12-31', rep: null },
  { id: 3, name: 'Gamma', amount: '100.00', day: '2004-06-01', rep: 7 },
  { id: 4, name: 'delta', amount: null, day: '2005-01-01', rep: 8 },
];
const shape = (s: Shape) => {
  resolveShape(s, columns);
  return applyShape(rows, s, columns);
};
const ids = (s: Shape) => shape(s).rows.map((r) => r.id);

describe('list shaping', () => {
  it('compares decimal strings as numbers, not text', () => {
    expect(ids({ where: [{ field: 'amount', op: 'gt', value: '9.5' }] })).toEqual([1, 3]);
    expect(ids({ sort: ['-amount'] })).toEqual([3, 1, 2, 4]);
  });

  it('compares dates as dates and text ignoring case', () => {
    expect(ids({ where: [{ field: 'day', op: 'lt', value: '2004-01-01' }] })).toEqual([2]);
    expect(ids({ where: [{ field: 'name', op: 'eq', value: 'ALPHA' }] })).toEqual([1]);
    expect(ids({ where: [{ field: 'name', op: 'contains', value: 'TA' }] })).toEqual([2, 4]);
    expect(ids({ sort: ['name'] })).toEqual([1, 2, 4, 3]);
  });

  it('eq/ne null match empty and non-empty fields; in takes a list', () => {
    expect(ids({ where: [{ field: 'rep', op: 'eq', value: null }] })).toEqual([2]);
    expect(ids({ where: [{ field: 'amount', op: 'ne', value: null }] })).toEqual([1, 2, 3]);
    expect(ids({ where: [{ field: 'rep', op: 'in', value: [8, null] }] })).toEqual([2, 4]);
  });

  it('pages with total and next_offset', () => {
    const r = shape({ sort: ['id'], limit: 2, offset: 1 });
    expect(r).toMatchObject({ total: 4, returned: 2, offset: 1, next_offset: 3 });
    expect(shape({ limit: 2, offset: 2 }).next_offset).toBeUndefined();
  });

  it('groups and aggregates; sort, limit and fields apply to the groups', () => {
    const r = shape({ group_by: ['rep'], metrics: [{ op: 'count' }, { op: 'sum', field: 'amount' }, { op: 'max', field: 'day' }], sort: ['-sum_amount'] });
    expect(r.rows).toEqual([
      { rep: 7, count: 2, sum_amount: 110.5, max_day: '2004-06-01' },
      { rep: null, count: 1, sum_amount: 9, max_day: '2003-12-31' },
      { rep: 8, count: 1, sum_amount: 0, max_day: '2005-01-01' },
    ]);
    expect(shape({ group_by: ['rep'], fields: ['count'], sort: ['count', 'rep'], limit: 1 }).rows).toEqual([{ count: 1 }]);
  });

  it('metrics without group_by give one row, even over no rows', () => {
    expect(shape({ metrics: [{ op: 'avg', field: 'amount' }, { op: 'min', field: 'amount' }] }).rows).toEqual([{ avg_amount: 39.83, min_amount: '9.00' }]);
    expect(shape({ where: [{ field: 'id', op: 'gt', value: 99 }], metrics: [{ op: 'sum', field: 'amount' }, { op: 'count' }] }).rows).toEqual([{ sum_amount: 0, count: 0 }]);
  });

  it.each<[Shape, string]>([
    [{ where: [{ field: 'nope', op: 'eq', value: 1 }] }, 'where[0].field: unknown field "nope"; valid fields: id, name, amount, day, rep'],
    [{ where: [{ field: 'id', op: 'in', value: 1 }] }, 'where[0].value: "in" takes an array of values'],
    [{ where: [{ field: 'id', op: 'gt', value: null }] }, 'where[0].value: null works only with eq and ne'],
    [{ where: [{ field: 'id', op: 'eq', value: 'x' }] }, 'where[0].value: "id" is numeric; got "x"'],
    [{ where: [{ field: 'day', op: 'gte', value: '2004' }] }, 'where[0].value: "day" is a date; use YYYY-MM-DD, got "2004"'],
    [{ metrics: [{ op: 'sum', field: 'name' }] }, 'metrics[0].field: sum needs a numeric field; "name" is a string'],
    [{ metrics: [{ op: 'max' }] }, 'metrics[0].field: max needs a field'],
    [{ group_by: ['rep'], sort: ['-amount'] }, 'sort[0]: unknown field "amount"; valid: count, rep'],
    [{ fields: ['id', 'bogus'] }, 'fields[1]: unknown field "bogus"'],
  ])('rejects %j before fetching anything', (s, message) => {
    expect(() => resolveShape(s, columns)).toThrowError(UserInputError);
    expect(() => resolveShape(s, columns)).toThrow(message);
  });
});
