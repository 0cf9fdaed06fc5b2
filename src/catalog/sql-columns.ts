import type { ResourceName } from './resources.js';

/**
 * The tables' columns as the classicmodels MySQL schema spells and orders them (what MariaDB
 * under the API shows). The API's JSON lowercases them; SQL answers name them as MySQL does:
 * `SELECT *` lists these, in this order. A test holds them to the catalog's fields.
 */
export const SQL_COLUMNS: Record<ResourceName, string[]> = {
  productlines: ['productLine', 'textDescription', 'htmlDescription', 'image'],
  products: ['productCode', 'productName', 'productLine', 'productScale', 'productVendor', 'productDescription', 'quantityInStock', 'buyPrice', 'MSRP'],
  offices: ['officeCode', 'city', 'phone', 'addressLine1', 'addressLine2', 'state', 'country', 'postalCode', 'territory'],
  employees: ['employeeNumber', 'lastName', 'firstName', 'extension', 'email', 'officeCode', 'reportsTo', 'jobTitle'],
  customers: ['customerNumber', 'customerName', 'contactLastName', 'contactFirstName', 'phone', 'addressLine1', 'addressLine2', 'city', 'state', 'postalCode', 'country', 'salesRepEmployeeNumber', 'creditLimit'],
  payments: ['id', 'customerNumber', 'checkNumber', 'paymentDate', 'amount'],
  orders: ['orderNumber', 'orderDate', 'requiredDate', 'shippedDate', 'status', 'comments', 'customerNumber'],
  orderdetails: ['id', 'orderNumber', 'productCode', 'quantityOrdered', 'priceEach', 'orderLineNumber'],
};
