/** Why a query gave no answer, said so the model can write a better one. */
export class QueryError extends Error {
  override name = 'QueryError';
}
