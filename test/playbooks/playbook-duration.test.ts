import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_DURATION_MS, formatDuration, parseDuration } from '../../src/domain/playbook/schema';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const VALID: Array<[string, number]> = [
  ['30s', 30 * S],
  ['1s', S],
  ['15m', 15 * M],
  ['4h', 4 * H],
  ['72h', 72 * H],
  ['2d', 2 * D],
  ['1h30m', H + 30 * M],
  ['1d2h3m4s', D + 2 * H + 3 * M + 4 * S],
  ['90m', 90 * M],
  ['0h30m', 30 * M],
  [' 4h ', 4 * H],
  ['365d', 365 * D],
  ['364d23h59m59s', 365 * D - S],
];

const INVALID: Array<[string, string]> = [
  ['', 'empty'],
  ['4', 'no unit'],
  ['h', 'no number'],
  ['4x', 'unknown unit'],
  ['4H', 'units are lower case'],
  ['1.5h', 'fractions'],
  ['-4h', 'negative'],
  ['30m1h', 'units out of order'],
  ['1h1h', 'a unit twice'],
  ['1h 30m', 'space between parts'],
  ['0s', 'zero'],
  ['0d0h', 'zero in parts'],
  ['366d', 'over a year'],
  ['365d1s', 'just over a year'],
  ['8761h', 'over a year in hours'],
  ['PT4H', 'ISO 8601'],
  ['4 hours', 'words'],
  ['99999999999d', 'absurdly large'],
];

describe('parseDuration', () => {
  for (const [text, ms] of VALID) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }
  for (const [text, why] of INVALID) {
    it(`refuses ${JSON.stringify(text)} (${why})`, () => assert.equal(parseDuration(text), undefined));
  }

  it('refuses non-strings', () => {
    assert.equal(parseDuration(30 as unknown as string), undefined);
    assert.equal(parseDuration(null as unknown as string), undefined);
  });

  it('reads back what formatDuration writes, for every whole second up to a year', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_MS / S }), (seconds) => {
        assert.equal(parseDuration(formatDuration(seconds * S)), seconds * S);
      }),
    );
  });

  it('formats with the largest units first', () => {
    assert.equal(formatDuration(H + 30 * M), '1h30m');
    assert.equal(formatDuration(2 * D + 5 * S), '2d5s');
    assert.equal(formatDuration(72 * H), '3d');
  });
});
