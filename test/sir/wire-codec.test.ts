import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBody, fromWire, shape, toWire, WireCodecError } from '../../src/sir/wire-codec';

describe('wire codec', () => {
  it('round-trips any Date through epoch seconds to the millisecond', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true, min: new Date(-8.64e15 / 10), max: new Date(8.64e15 / 10) }), (date) => {
        const wire = toWire(shape.timestamp, date);
        assert.equal(typeof wire, 'number');
        assert.equal(wire, date.getTime() / 1000);
        assert.equal((fromWire(shape.timestamp, JSON.parse(JSON.stringify(wire))) as Date).getTime(), date.getTime());
      }),
    );
  });

  it('drops undefined and null at every depth, and unmodelled members', () => {
    const s = shape.structure({
      a: shape.string,
      list: shape.list(shape.structure({ x: shape.string, y: shape.string })),
      tags: shape.map(shape.string),
    });
    const encoded = toWire(s, { a: undefined, extra: 1, list: [{ x: 'x', y: null }, null, undefined], tags: { k: 'v', gone: undefined } });
    assert.equal(JSON.stringify(encoded), '{"list":[{"x":"x"}],"tags":{"k":"v"}}');
  });

  it('keeps a map key named __proto__ as data', () => {
    const encoded = toWire(shape.map(shape.string), JSON.parse('{"__proto__":"x","a":"b"}')) as Record<string, unknown>;
    assert.equal(JSON.stringify(encoded), '{"__proto__":"x","a":"b"}');
    assert.equal(Object.getPrototypeOf(encoded), Object.prototype);
  });

  it('reports the path of a value that does not fit', () => {
    const s = shape.structure({ items: shape.list(shape.structure({ when: shape.timestamp }, ['when'])) });
    assert.throws(
      () => fromWire(s, { items: [{ when: 1 }, { when: true }] }),
      (err: unknown) => err instanceof WireCodecError && err.path === 'items[1].when' && /expected epoch seconds, got a boolean/.test(err.message),
    );
    assert.throws(() => toWire(s, { items: [{ when: '2025-01-01' }] }), /items\[0\]\.when: expected a valid Date, got a string/);
    assert.throws(() => decodeBody(s, '{"items": {}}'), /items: expected an array, got an object/);
  });

  it('reads an empty body as an empty structure and ignores inherited members', () => {
    assert.deepEqual(decodeBody(shape.structure({ a: shape.string }), '  '), {});
    class WithInherited {
      own = 'o';
    }
    (WithInherited.prototype as unknown as Record<string, unknown>).inherited = 'i';
    assert.deepEqual(toWire(shape.structure({ own: shape.string, inherited: shape.string }), new WithInherited()), { own: 'o' });
  });
});
