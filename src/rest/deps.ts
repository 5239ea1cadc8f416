import type { TransportDeps } from '../transport/deps.js';

/** What the REST routes are given: the services every transport shares. */
export type RestDeps = TransportDeps;

export { settled } from '../transport/deps.js';
