/**
 * JSON with object keys sorted and absent (undefined) fields left out, so two processes that hold the
 * same value, however its keys were ordered, write the same text: what a content hash or a MAC is
 * computed over. Arrays keep their order.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}
