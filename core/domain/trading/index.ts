// The pure trading domain: strategies, risk rules, charges, the paper fill model and portfolio
// accounting. No I/O: services wrap these functions and keep their (plain JSON) state.
export * from './charges';
export * from './contract-note';
export * from './paper-broker';
export * from './portfolio';
export * from './prices';
export * from './rng';
export * from './risk';
export * from './strategies';
