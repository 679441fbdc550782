// The PRNG moved to transports/seeded-random.ts (loss injection is a product feature too); the
// fakes keep importing it from here.
export { seededRandom } from '../seeded-random.js';
