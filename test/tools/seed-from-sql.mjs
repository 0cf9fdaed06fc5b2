#!/usr/bin/env node
// Converts the classicmodels sample SQL into the replica's seed (src/demo/seed.json), once.
// The project never reads ../shared at run time; test/unit/seed.test.ts re-runs this
// conversion when ../shared is present and checks the committed seed still matches it.
//   node test/tools/seed-from-sql.mjs ../shared/classicmodels/mysqlsampledatabase.sql > src/demo/seed.json
import { readFileSync } from 'node:fs';

/** Column types that become numbers; decimals stay strings with two places, as the API sends them. */
const INT = new Set(['customernumber', 'employeenumber', 'reportsto', 'salesrepemployeenumber', 'ordernumber', 'quantityinstock', 'quantityordered', 'orderlinenumber']);
const DECIMAL = new Set(['buyprice', 'msrp', 'creditlimit', 'amount', 'priceeach']);
/** Tables with a surrogate id the API shows, numbered in insert order like AUTO_INCREMENT. */
const WITH_ID = new Set(['payments', 'orderdetails']);
/** Column order of the API's JSON, which the seed keeps. */
const API_ORDER = {
  productlines: ['productline', 'textdescription', 'htmldescription', 'image'],
  products: ['productcode', 'productname', 'productscale', 'productvendor', 'productdescription', 'quantityinstock', 'buyprice', 'msrp', 'productline'],
  offices: ['officecode', 'city', 'phone', 'addressline1', 'addressline2', 'state', 'country', 'postalcode', 'territory'],
  employees: ['employeenumber', 'lastname', 'firstname', 'extension', 'email', 'jobtitle', 'officecode', 'reportsto'],
  customers: ['customernumber', 'customername', 'contactlastname', 'contactfirstname', 'phone', 'addressline1', 'addressline2', 'city', 'state', 'postalcode', 'country', 'creditlimit', 'salesrepemployeenumber'],
  orders: ['ordernumber', 'orderdate', 'requireddate', 'shippeddate', 'status', 'comments', 'customernumber'],
  payments: ['id', 'checknumber', 'paymentdate', 'amount', 'customernumber'],
  orderdetails: ['id', 'quantityordered', 'priceeach', 'orderlinenumber', 'ordernumber', 'productcode'],
};

/** Reads the tuples of one `insert into t(cols) values (...),(...);` statement. */
function parseValues(text, start) {
  const rows = [];
  let i = start;
  let row = null;
  while (i < text.length) {
    const c = text[i];
    if (c === ';' && row === null) return { rows, end: i };
    if (c === '(' && row === null) {
      row = [];
      i++;
      continue;
    }
    if (row !== null) {
      if (c === "'") {
        let s = '';
        i++;
        for (;;) {
          const d = text[i];
          if (d === '\\') {
            const n = text[i + 1];
            s += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === '0' ? '\0' : n;
            i += 2;
          } else if (d === "'" && text[i + 1] === "'") {
            s += "'";
            i += 2;
          } else if (d === "'") {
            i++;
            break;
          } else {
            s += d;
            i++;
          }
        }
        row.push(s);
        continue;
      }
      if (c === ',' || /\s/.test(c)) {
        i++;
        continue;
      }
      if (c === ')') {
        rows.push(row);
        row = null;
        i++;
        continue;
      }
      const m = /^(NULL|-?\d+(?:\.\d+)?)/i.exec(text.slice(i, i + 40));
      if (!m) throw new Error(`unexpected ${JSON.stringify(text.slice(i, i + 20))}`);
      row.push(/^null$/i.test(m[1]) ? null : m[1]);
      i += m[1].length;
      continue;
    }
    i++;
  }
  return { rows, end: i };
}

export function convert(sql) {
  const out = {};
  const re = /insert\s+into\s+(\w+)\s*\(([^)]*)\)\s*values/gi;
  let m;
  while ((m = re.exec(sql))) {
    const table = m[1].toLowerCase();
    const cols = m[2].split(',').map((c) => c.trim().toLowerCase());
    const { rows, end } = parseValues(sql, re.lastIndex);
    re.lastIndex = end;
    const columns = API_ORDER[table];
    if (!columns) throw new Error(`unknown table ${table}`);
    const shaped = rows.map((values, n) => {
      const rec = Object.fromEntries(cols.map((c, k) => [c, values[k]]));
      if (WITH_ID.has(table)) rec.id = n + 1;
      return columns.map((c) => {
        const v = rec[c];
        if (v === null || v === undefined) return null;
        if (c === 'id' || INT.has(c)) return Number(v);
        if (DECIMAL.has(c)) return Number(v).toFixed(2);
        return v;
      });
    });
    out[table] = { columns, rows: (out[table]?.rows ?? []).concat(shaped) };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? new URL('../../../shared/classicmodels/mysqlsampledatabase.sql', import.meta.url).pathname;
  process.stdout.write(JSON.stringify(convert(readFileSync(file, 'utf8'))) + '\n');
}
