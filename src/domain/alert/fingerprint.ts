/**
 * The alert fingerprint: the stable identity of an alert's source record. The case workflow id is
 * `case-<fingerprint>` (SPEC §3) and CreateCase's clientToken derives from it, so the same finding
 * delivered twice lands on one workflow and one SIR case, and two different findings never share one.
 *
 * Format (at most 140 characters, alphabet `[A-Za-z0-9._:-]`):
 *
 *   `<source>-<id>`       the source id itself, when it is 1–128 characters of `[A-Za-z0-9._:-]`
 *                         (GuardDuty finding ids: `guardduty-5ec6c1b4e8a40b1a5d1e3c1b8e0f7a21`)
 *   `<source>.<32 hex>`   otherwise (ASFF ARNs, ids with `/` or other characters, long ids): the first
 *                         128 bits of SHA-256 over the id's UTF-8 bytes (see utf8), lowercase hex
 *
 * The source prefix keeps sources apart (a generic alert cannot claim a GuardDuty finding's
 * workflow), and the separator after it tells the two forms apart: source names contain neither `-`
 * nor `.`, so `generic-x` is always the raw id "x" and `generic.<hex>` always a hash. A raw id that
 * happens to look like a hash therefore cannot collide with a hashed one.
 *
 * Why SHA-256 and not a short hash such as FNV-1a: generic alert ids are chosen by whoever can post
 * alerts, and a collision would make phasegate treat a new alert as a duplicate of an old one and
 * open no case for it. FNV collisions can be computed at will; SHA-256 ones cannot. It is written out
 * here because this module runs in Temporal's workflow sandbox, where node:crypto is unavailable.
 */
import type { Alert } from './alert';

export const FINGERPRINT_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
export const MAX_RAW_ID_LENGTH = 128;
const RAW_ID = /^[A-Za-z0-9._:-]+$/;
/** 32 hex digits = 128 bits: collisions stay out of reach (2^64 work) while ids stay readable. */
const HASH_HEX_LENGTH = 32;

export function alertFingerprint(alert: Pick<Alert, 'source' | 'id'>): string {
  const { source, id } = alert;
  if (id.length > 0 && id.length <= MAX_RAW_ID_LENGTH && RAW_ID.test(id)) return `${source}-${id}`;
  return `${source}.${sha256Hex(id).slice(0, HASH_HEX_LENGTH)}`;
}

/** SHA-256 (FIPS 180-4) of the UTF-8 encoding of `text` (see utf8), as 64 lowercase hex digits. */
export function sha256Hex(text: string): string {
  return sha256(utf8(text))
    .map((word) => (word >>> 0).toString(16).padStart(8, '0'))
    .join('');
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const INITIAL_HASH = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

function sha256(message: number[]): number[] {
  // Padding: a 1 bit, zeros up to 56 mod 64 bytes, then the bit length as a 64-bit big-endian number.
  const bitLength = message.length * 8;
  const bytes = [...message, 0x80];
  while (bytes.length % 64 !== 56) bytes.push(0);
  const high = Math.floor(bitLength / 0x100000000);
  for (const word of [high, bitLength >>> 0]) bytes.push((word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);

  const hash = [...INITIAL_HASH];
  const w = new Array<number>(64).fill(0);
  for (let chunk = 0; chunk < bytes.length; chunk += 64) {
    for (let t = 0; t < 16; t++) {
      const i = chunk + t * 4;
      w[t] = ((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0);
    }
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15] ?? 0;
      const w2 = w[t - 2] ?? 0;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = ((w[t - 16] ?? 0) + s0 + (w[t - 7] ?? 0) + s1) | 0;
    }
    let [a, b, c, d, e, f, g, h] = hash as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (K[t] ?? 0) + (w[t] ?? 0)) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, h].forEach((value, i) => (hash[i] = ((hash[i] ?? 0) + value) | 0));
  }
  return hash;
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/**
 * The UTF-8 bytes of a JS string, extended to lone surrogates the way WTF-8 does (each encoded as
 * its own three-byte sequence). JSON can carry a lone surrogate ("\ud800"), and TextEncoder's
 * replacement by U+FFFD would give "\ud800" and "\ufffd" the same bytes, hence the same hash and
 * the same case. For well-formed strings this is exactly UTF-8, so the hash is standard SHA-256.
 */
export function utf8(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}
