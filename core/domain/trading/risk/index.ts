export * from './evaluate';
export * from './limits';
export * from './rules';
export * from './state';
