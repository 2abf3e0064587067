export { toHex, fromHex, isId } from './hex.js';
