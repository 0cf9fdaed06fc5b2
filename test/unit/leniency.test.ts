import { describe, expect, it } from 'vitest';
import { buildSurface } from '../../src/server.js';
import { parseArguments } from '../../src/tools/arguments.js';
import { coerceArguments } from '../../src/tools/coerce.js';
import { UserInputError } from '../../src/tools/errors.js';
import { resolveShape } from '../../src/tools/shaping.js';
import { columnsOf } from '../../src/tools/schemas.js';
import { resource } from '../../src/catalog/resources.js';

/** What a call's arguments become before the strict schema judges them, and what is still refused. */
const surface = buildSurface({});
function accept(tool: string, args: unknown) {
  return parseArguments(surface.byName.get(tool)!, coerceArguments(args, surface.inputs.get(tool)!));
}
function refuse(tool: string, args: unknown): string {
  try {
    accept(tool, args);
  } catch (err) {
    expect(err).toBeInstanceOf(UserInputError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the leniency pass in front of validation', () => {
  it('a number where text is expected becomes its text; an integer or decimal written as text becomes the number', () => {
    expect(accept('classic_models_get_office', { officecode: 1 })).toEqual({ officecode: '1' });
    expect(accept('classic_models_get_customer', { customernumber: '103' })).toEqual({ customernumber: 103 });
    expect(accept('classic_models_list_customers', { limit: '5', offset: ' 10 ' })).toEqual({ limit: 5, offset: 10 });
    expect(accept('classic_models_update_product', { productcode: 'S10_1678', buyprice: 48.81, quantityinstock: '7' })).toEqual({ productcode: 'S10_1678', buyprice: '48.81', quantityinstock: 7 });
    expect(accept('classic_models_update_employee', { employeenumber: '1002', reportsto: '1056' })).toEqual({ employeenumber: 1002, reportsto: 1056 });
  });

  it('refuses what is not unambiguous, naming the field', () => {
    expect(refuse('classic_models_get_customer', { customernumber: 'abc' })).toContain('customernumber: expected an integer');
    expect(refuse('classic_models_get_customer', { customernumber: '103.5' })).toContain('customernumber: expected an integer');
    expect(refuse('classic_models_list_customers', { limit: 'five' })).toContain('limit');
    expect(refuse('classic_models_get_office', { officecode: true })).toContain('officecode');
  });

  it('JSON text where a list or object is expected is parsed; one string becomes a list; fields takes "a,b,c"', () => {
    expect(accept('classic_models_list_customers', { where: '[{"field":"country","op":"eq","value":"USA"}]', sort: '-creditlimit', fields: 'customernumber, creditlimit' })).toEqual({
      where: [{ field: 'country', op: 'eq', value: 'USA' }],
      sort: ['-creditlimit'],
      fields: ['customernumber', 'creditlimit'],
    });
    expect(accept('classic_models_list_customers', { where: { field: 'country', op: 'eq', value: 'USA' }, group_by: 'country', metrics: '{"op":"count"}' })).toEqual({
      where: [{ field: 'country', op: 'eq', value: 'USA' }],
      group_by: ['country'],
      metrics: [{ op: 'count' }],
    });
    expect(refuse('classic_models_list_customers', { where: '[{"field": broken' })).toContain('where');
  });

  it('parameter names and enum values match without regard to case or underscores', () => {
    expect(accept('classic_models_get_customer', { customerNumber: 103 })).toEqual({ customernumber: 103 });
    expect(accept('classic_models_get_payment', { Customer_Number: '103', CHECKNUMBER: 'HQ336336' })).toEqual({ customernumber: 103, checknumber: 'HQ336336' });
    expect(accept('classic_models_list_orders', { customerNumber: '103', Where: [{ Field: 'status', OP: 'EQ', Value: 'Shipped' }], Metrics: [{ Op: 'SUM', Field: 'ordernumber' }] })).toEqual({
      customernumber: 103,
      where: [{ field: 'status', op: 'eq', value: 'Shipped' }],
      metrics: [{ op: 'sum', field: 'ordernumber' }],
    });
  });

  it('an unknown parameter is still refused, with the closest valid name first', () => {
    expect(refuse('classic_models_create_office', { officecode: '9', cty: 'Paris' })).toMatch(/^unknown parameter cty; valid: city, officecode, /);
    expect(refuse('classic_models_list_customers', { where: [{ field: 'country', operator: 'eq', value: 'x' }] })).toMatch(/where\[0\]: unknown parameter operator; valid: op, field, value/);
  });

  it('column names in where, fields, sort, group_by and metrics resolve to the API spelling', () => {
    const columns = columnsOf(resource('customers'));
    expect(
      resolveShape(
        { where: [{ field: 'creditLimit', op: 'gt', value: '0' }], fields: ['salesRepEmployeeNumber', 'sum_creditLimit'], sort: ['-Sum_CreditLimit'], group_by: ['salesRepEmployeeNumber'], metrics: [{ op: 'sum', field: 'CREDIT_LIMIT' }] },
        columns,
      ),
    ).toEqual({
      where: [{ field: 'creditlimit', op: 'gt', value: '0' }],
      fields: ['salesrepemployeenumber', 'sum_creditlimit'],
      sort: ['-sum_creditlimit'],
      group_by: ['salesrepemployeenumber'],
      metrics: [{ op: 'sum', field: 'creditlimit' }],
    });
  });

  it('an unknown column names the closest valid one first', () => {
    const columns = columnsOf(resource('customers'));
    expect(() => resolveShape({ where: [{ field: 'contry', op: 'eq', value: 'x' }] }, columns)).toThrow(/^where\[0\]\.field: unknown field "contry"; valid fields: country, customernumber, /);
    expect(() => resolveShape({ sort: ['-credit'] }, columns)).toThrow(/^sort\[0\]: unknown field "credit"; valid: creditlimit, /);
  });
});
