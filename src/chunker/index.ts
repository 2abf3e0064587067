export {
  TEST_POLYNOMIAL,
  add,
  checkChunkerPolynomial,
  deg,
  derivePolynomial,
  div,
  divMod,
  expandPolynomial,
  formatPolynomial,
  gcd,
  isIrreducible,
  mod,
  mul,
  mulMod,
  parsePolynomial,
  qp,
} from './polynomial.js';
export { type ChunkerTables, WINDOW_SIZE, modTableBig, outTableBig, tablesFor } from './tables.js';
export { AVERAGE_BITS, Chunker, type ChunkerOptions, MAX_SIZE, MIN_SIZE, chunkLengths } from './chunker.js';
