/**
 * Questions about classicmodels written the way MySQL tutorials write them (camelCase columns,
 * MySQL functions), each answered by classic_models_query in one call. The answers they are held
 * to come from MariaDB itself running the same SQL (test/real-api, recorded to
 * query-answers.json with CM_RECORD=1 for the fast runs against the replica).
 */
export interface Question {
  q: string;
  sql: string;
  /** Rows in no defined order (GROUP BY without ORDER BY, or ties): compared as a set. */
  unordered?: boolean;
}

export const QUESTIONS: Question[] = [
  // GROUP BY country alone is refused: 'Norway' and 'Norway  ' are one group to MySQL, shown as
  // whichever row its plan meets first (see the differential corpus); TRIM says which to show.
  { q: 'orders per country, top 3 (the issue)', sql: 'SELECT TRIM(country) AS country, COUNT(*) AS orders FROM orders JOIN customers USING (customerNumber) GROUP BY TRIM(country) ORDER BY orders DESC LIMIT 3' },
  { q: 'orders per month of 2003 (the issue)', sql: "SELECT DATE_FORMAT(orderDate, '%Y-%m') AS month, COUNT(*) FROM orders WHERE YEAR(orderDate) = 2003 GROUP BY month", unordered: true },
  {
    q: 'customers per sales rep (the issue)',
    sql: "SELECT CONCAT(firstName, ' ', lastName) AS rep, COUNT(c.customerNumber) FROM employees e LEFT JOIN customers c ON c.salesRepEmployeeNumber = e.employeeNumber GROUP BY e.employeeNumber ORDER BY 2 DESC",
    unordered: true,
  },
  { q: 'revenue per product line', sql: 'SELECT p.productLine, SUM(od.quantityOrdered * od.priceEach) AS revenue FROM orderdetails od JOIN products p ON p.productCode = od.productCode GROUP BY p.productLine ORDER BY revenue DESC' },
  {
    q: 'the sales reps who brought in the most revenue in 2004',
    sql: "SELECT e.employeeNumber, CONCAT(e.firstName, ' ', e.lastName) AS rep, SUM(od.quantityOrdered * od.priceEach) AS revenue FROM employees e JOIN customers c ON c.salesRepEmployeeNumber = e.employeeNumber JOIN orders o ON o.customerNumber = c.customerNumber JOIN orderdetails od ON od.orderNumber = o.orderNumber WHERE YEAR(o.orderDate) = 2004 GROUP BY e.employeeNumber, rep ORDER BY revenue DESC LIMIT 3",
  },
  { q: 'customers who never ordered', sql: 'SELECT customerName FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customerNumber = c.customerNumber) ORDER BY customerName' },
  {
    q: 'what customers still owe, top 5',
    sql: 'WITH ordered AS (SELECT o.customerNumber, SUM(od.quantityOrdered * od.priceEach) AS total FROM orders o JOIN orderdetails od USING (orderNumber) GROUP BY o.customerNumber), paid AS (SELECT customerNumber, SUM(amount) AS total FROM payments GROUP BY customerNumber) SELECT c.customerName, ordered.total - COALESCE(paid.total, 0) AS owed FROM customers c JOIN ordered USING (customerNumber) LEFT JOIN paid USING (customerNumber) ORDER BY owed DESC, c.customerName LIMIT 5',
  },
  { q: 'average order value', sql: 'SELECT AVG(t.total) AS avg_order FROM (SELECT orderNumber, SUM(quantityOrdered * priceEach) AS total FROM orderdetails GROUP BY orderNumber) t' },
  { q: 'top 5 products by quantity ordered', sql: 'SELECT productCode, SUM(quantityOrdered) AS qty FROM orderdetails GROUP BY productCode ORDER BY qty DESC, productCode LIMIT 5' },
  { q: 'orders per status', sql: 'SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(*) DESC, status' },
  { q: 'orders shipped late, and by how many days', sql: 'SELECT orderNumber, DATEDIFF(shippedDate, requiredDate) AS days_late FROM orders WHERE shippedDate > requiredDate ORDER BY orderNumber' },
  { q: 'staff per office', sql: 'SELECT o.city, COUNT(e.employeeNumber) AS staff FROM offices o LEFT JOIN employees e USING (officeCode) GROUP BY o.officeCode, o.city ORDER BY staff DESC, o.city' },
  { q: 'managers and their direct reports', sql: "SELECT CONCAT(m.firstName, ' ', m.lastName) AS manager, COUNT(*) AS reports FROM employees e JOIN employees m ON e.reportsTo = m.employeeNumber GROUP BY m.employeeNumber, manager ORDER BY reports DESC, manager" },
  { q: 'payments per year', sql: 'SELECT YEAR(paymentDate) AS yr, SUM(amount) AS total, COUNT(*) AS n FROM payments GROUP BY yr ORDER BY yr' },
  { q: 'revenue per quarter of 2004', sql: 'SELECT QUARTER(o.orderDate) AS q, SUM(od.quantityOrdered * od.priceEach) AS revenue FROM orders o JOIN orderdetails od ON o.orderNumber = od.orderNumber WHERE YEAR(o.orderDate) = 2004 GROUP BY q ORDER BY q' },
  { q: 'products never ordered', sql: 'SELECT productName FROM products WHERE productCode NOT IN (SELECT productCode FROM orderdetails) ORDER BY productName' },
  { q: 'customers above the average credit limit', sql: 'SELECT customerName, creditLimit FROM customers WHERE creditLimit > (SELECT AVG(creditLimit) FROM customers) ORDER BY creditLimit DESC, customerName LIMIT 10' },
  { q: 'average margin per product line', sql: 'SELECT productLine, ROUND(AVG(MSRP - buyPrice), 2) AS avg_margin FROM products GROUP BY productLine ORDER BY avg_margin DESC' },
  {
    q: 'the dearest product of each line (window function)',
    sql: 'SELECT productLine, productName, buyPrice FROM (SELECT productLine, productName, buyPrice, ROW_NUMBER() OVER (PARTITION BY productLine ORDER BY buyPrice DESC, productName) AS rn FROM products) t WHERE rn = 1 ORDER BY productLine',
  },
  { q: 'credit bands with IF', sql: "SELECT IF(creditLimit >= 100000, 'high', 'normal') AS band, COUNT(*) FROM customers GROUP BY band ORDER BY band" },
  { q: 'countries by their first three letters', sql: 'SELECT UCASE(LEFT(country, 3)) AS c3, COUNT(*) FROM customers GROUP BY c3 ORDER BY COUNT(*) DESC, c3 LIMIT 5' },
  { q: 'average quantity per order line: integers divide into a fraction', sql: 'SELECT SUM(quantityOrdered) / COUNT(*) AS avg_qty FROM orderdetails' },
  { q: 'backquotes and LIMIT offset, count', sql: 'SELECT `customerName` FROM `customers` ORDER BY `customerName` LIMIT 5, 3' },
  { q: 'orders in process, IFNULL for the missing ship date', sql: "SELECT orderNumber, IFNULL(shippedDate, 'not shipped') FROM orders WHERE status = 'In Process' ORDER BY orderNumber" },
  { q: 'orders per month of 2005, by name', sql: 'SELECT MONTHNAME(orderDate) AS m, COUNT(*) FROM orders WHERE YEAR(orderDate) = 2005 GROUP BY MONTH(orderDate), m ORDER BY MONTH(orderDate)' },
  { q: 'integers stay integers in CONCAT', sql: "SELECT CONCAT('#', customerNumber, ' ', customerName) FROM customers ORDER BY customerNumber LIMIT 3" },
  { q: 'all payments, summed to the cent', sql: 'SELECT SUM(amount) AS total, AVG(amount) AS average FROM payments' },
  { q: 'lowercase and case-insensitive comparison, as MySQL compares text', sql: "SELECT LCASE(customerName) FROM customers WHERE country = 'usa' AND city = 'nyc' ORDER BY 1" },
  { q: 'GREATEST and LEAST', sql: 'SELECT productCode, GREATEST(buyPrice, MSRP / 2) AS g, LEAST(quantityInStock, 1000) AS l FROM products ORDER BY productCode LIMIT 5' },
  { q: 'CONCAT_WS and a schema prefix', sql: "SELECT CONCAT_WS(', ', city, state, country) FROM classicmodels.offices ORDER BY officeCode" },
];

/** MariaDB prints NULL as NULL and every value as text: cells compared as the numbers or text they are. */
export function sameCell(ours: unknown, theirs: string): boolean {
  if (theirs === 'NULL') return ours === null;
  if (typeof ours === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(theirs)) return false;
    const places = theirs.split('.')[1]?.length ?? 0;
    // MySQL prints decimals to a fixed scale (sums: 2 places, averages: 6, divisions: 4 more than
    // the operands): ours must round to exactly what it printed.
    return Number(ours.toFixed(places)) === Number(theirs);
  }
  return String(ours) === theirs;
}

export function sameRows(ours: unknown[][], theirs: string[][], unordered = false): string | undefined {
  if (ours.length !== theirs.length) return `${ours.length} rows, expected ${theirs.length}`;
  const key = (r: unknown[]) => JSON.stringify(r.map((c) => (typeof c === 'number' ? Number(c.toFixed(4)) : c === null ? 'NULL' : String(c))));
  const a = unordered ? [...ours].sort((x, y) => (key(x) < key(y) ? -1 : 1)) : ours;
  const b = unordered ? [...theirs].sort((x, y) => (key(x.map((c) => (/^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c))) < key(y.map((c) => (/^-?\d+(\.\d+)?$/.test(c) ? Number(c) : c))) ? -1 : 1)) : theirs;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length || a[i].some((c, j) => !sameCell(c, b[i][j]))) return `row ${i}: ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
  }
  return undefined;
}
