import { afterAll, describe, expect, it } from 'vitest';
import type { Api } from '../../src/api/client.js';
import { TableCache } from '../../src/api/tables.js';
import { loadQueryWorker } from '../../src/lazy.js';
import { QueryEngine } from '../../src/query/engine.js';

/**
 * With OAuth every person is an API identity of their own, and may see other data. The query
 * engine keeps a bounded number of databases per worker and of table sets in its cache; a person
 * whose database was dropped gets theirs loaded again, never someone else's and never an empty one.
 */
function personApi(n: number): Api & { reads: number } {
  const api = {
    baseUrl: 'http://api.test',
    usesApiKey: false,
    reads: 0,
    async request<T>(_m: string, path: (string | number)[]): Promise<T> {
      api.reads++;
      if (path[1] !== 'offices') throw new Error(`unexpected ${path.join('/')}`);
      return [{ officecode: '1', city: `City of person ${n}`, phone: '', addressline1: '', addressline2: null, state: null, country: 'X', postalcode: '1', territory: 'NA' }] as T;
    },
  };
  return api;
}

const engine = new QueryEngine({ timeoutMs: 5_000, cacheSeconds: 3_600, memoryMb: 256, workers: 1, tables: new TableCache(), load: loadQueryWorker });
afterAll(() => engine.close());

describe('query engine: one database per person, bounded', () => {
  it('40 people in turn on one worker each see their own rows, again after their database was dropped', async () => {
    const people = Array.from({ length: 40 }, (_, i) => personApi(i));
    const cityOf = async (i: number) => (await engine.run(people[i], 'SELECT city FROM offices', { maxRows: 10, maxBytes: 10_000 })).rows[0][0];
    for (let i = 0; i < people.length; i++) expect(await cityOf(i)).toBe(`City of person ${i}`);
    // Person 0's database and cached tables have long been dropped (16 databases, 64 table sets): read and loaded again.
    for (const i of [0, 1, 39, 0]) expect(await cityOf(i)).toBe(`City of person ${i}`);
    expect(people[39].reads).toBe(1);
  });
});
