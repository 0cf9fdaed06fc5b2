import { generate } from './generate.js';
import { HAND, type CorpusQuery } from './hand.js';

export type { CorpusQuery };

/** The differential corpus: the hand-written queries, then 220 generated ones (seed 19). */
export const CORPUS: CorpusQuery[] = [...HAND, ...generate(19, 220)];
