/**
 * The value readers under the alert parsers: ISO-8601 date-times, SIR's IPAddress form, and the
 * error paths into a body.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseIsoDateTime } from '../../src/domain/alert/datetime';
import { SIR_IP_ADDRESS_PATTERN, toSirIpAddress } from '../../src/domain/alert/ip-addresses';
import { formatPath } from '../../src/domain/alert/issues';
import { readPath } from '../../src/domain/alert/lenient-read';

describe('parseIsoDateTime', () => {
  const valid: Array<[string, string]> = [
    ['2024-05-01T12:34:56Z', '2024-05-01T12:34:56.000Z'],
    ['2024-05-01T12:34:56.123Z', '2024-05-01T12:34:56.123Z'],
    ['2024-05-01T12:34:56.123456789Z', '2024-05-01T12:34:56.123Z'],
    ['2024-05-01T12:34Z', '2024-05-01T12:34:00.000Z'],
    ['2024-05-01T14:34:56+02:00', '2024-05-01T12:34:56.000Z'],
    ['2024-05-01T07:04:56-0530', '2024-05-01T12:34:56.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ];
  for (const [text, iso] of valid) it(`reads ${text}`, () => assert.equal(parseIsoDateTime(text)?.toISOString(), iso));

  const invalid = [
    '2024-05-01T12:34:56', // no zone
    '2024-05-01',
    '2023-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:60Z',
    '2024-05-01T12:00:00+24:00',
    '2024-05-01 12:00:00Z',
    ' 2024-05-01T12:00:00Z',
    'yesterday',
    '',
  ];
  for (const text of invalid) it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseIsoDateTime(text), undefined));

  it('round-trips every toISOString value', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        assert.equal(parseIsoDateTime(date.toISOString())?.getTime(), date.getTime());
      }),
      { numRuns: 1000 },
    );
  });
});

describe('toSirIpAddress', () => {
  const table: Array<[string, string | undefined]> = [
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['2001:db8::7', '2001:DB8:0:0:0:0:0:7'],
    ['2001:DB8:0:0:0:0:0:7', '2001:DB8:0:0:0:0:0:7'],
    ['2001:0db8:0000:0000:0000:0000:0000:0007', '2001:DB8:0:0:0:0:0:7'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['fe80::', 'FE80:0:0:0:0:0:0:0'],
    ['::ffff:203.0.113.9', '0:0:0:0:0:FFFF:203.0.113.9'],
    ['64:ff9b::198.51.100.1', '64:FF9B:0:0:0:0:198.51.100.1'],
    ['1:2:3:4:5:6:198.51.100.1', '1:2:3:4:5:6:198.51.100.1'],
    ['fe80::1%eth0', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7:8::', undefined],
    ['12345::', undefined],
    ['::ffff:999.0.0.1', undefined],
    ['x1:2:3:4:5:6:7:8y', undefined],
    ['', undefined],
    ['localhost', undefined],
  ];
  for (const [input, expected] of table) it(`${JSON.stringify(input)} → ${String(expected)}`, () => assert.equal(toSirIpAddress(input), expected));

  it('turns every IPv4 and IPv6 address into one the (anchored) SIR pattern accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const sir = toSirIpAddress(ip);
        assert.ok(sir !== undefined, ip);
        assert.match(sir, SIR_IP_ADDRESS_PATTERN);
      }),
      { numRuns: 2000 },
    );
  });

  it('never produces something the pattern refuses, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%x '.split('')), maxLength: 50 }), (text) => {
        const sir = toSirIpAddress(text);
        if (sir !== undefined) assert.match(sir, SIR_IP_ADDRESS_PATTERN);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('paths into the body', () => {
  it('dots between names, brackets around indexes, quoted brackets for odd names', () => {
    assert.equal(formatPath([]), '');
    assert.equal(formatPath(['severity']), 'severity');
    assert.equal(formatPath(['detail', 'findings', 0, 'AwsAccountId']), 'detail.findings[0].AwsAccountId');
    assert.equal(formatPath(['detail-type']), 'detail-type');
    assert.equal(formatPath(['a.b', 'c d', 2]), '["a.b"]["c d"][2]');
  });

  it('the lenient reader follows own properties only', () => {
    const body = JSON.parse('{"__proto__": {"polluted": 1}, "a": [{"b": "c"}]}') as unknown;
    assert.equal(readPath(body, 'a', 0, 'b'), 'c');
    assert.equal(readPath(body, 'toString'), undefined);
    assert.equal(readPath(body, 'constructor', 'name'), undefined);
    assert.deepEqual(readPath(body, '__proto__'), { polluted: 1 });
    assert.equal(readPath(body, 'a', 5), undefined);
    assert.equal(readPath(body, 'a', 'length'), undefined);
  });
});
