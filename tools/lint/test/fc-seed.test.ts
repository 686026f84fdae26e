// The shared vitest setup (vitest.setup.ts) fixes fast-check's seed for every
// package: two runs draw the same values, and FC_SEED picks another seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FC_SEED } from '../../../vitest.setup.js';

describe('fast-check seed', () => {
  it('is fixed by default and overridable by FC_SEED', () => {
    const env = process.env.FC_SEED;
    const expected = env === undefined || env === '' ? DEFAULT_FC_SEED : env === 'random' ? undefined : Number(env);
    expect(fc.readConfigureGlobal().seed).toBe(expected);
  });

  it('makes properties reproducible: two samples without a seed of their own are equal', () => {
    if (process.env.FC_SEED === 'random') return;
    const arb = fc.array(fc.integer(), { minLength: 5, maxLength: 5 });
    expect(fc.sample(arb, 3)).toEqual(fc.sample(arb, 3));
  });
});
