/**
 * Threat-actor addresses in the one form SIR's IPAddress shape accepts (reference §2.1, §11.7): an
 * IPv4 dotted quad, or IPv6 written out in full — eight groups, or six groups and an IPv4 tail — with
 * UPPERCASE hex and no `::` compression.
 *
 * Alerts write IPv6 the usual way (`2001:db8::1`), which CreateCase would refuse with a
 * ValidationException that fails the whole case. Such addresses are rewritten into SIR's form (the
 * same address, spelt out); whatever is not an address at all is dropped. The model's pattern is only
 * anchored on its outer alternatives, so "x1:2:3:4:5:6:7:8y" would pass it: the check here is fully
 * anchored and only ever sends what both readings accept.
 *
 * The same pattern, verbatim and unanchored, is in src/sandbox/input-validation.ts (the emulator
 * must refuse exactly what AWS refuses); this one errs on the strict side instead.
 */

const OCTET = '(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)';
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const GROUP = '[A-F0-9]{1,4}';

export const SIR_IP_ADDRESS_PATTERN = new RegExp(`^(?:${IPV4}|(?:${GROUP}:){7}${GROUP}|(?:${GROUP}:){6}${IPV4})$`);

const IPV4_ONLY = new RegExp(`^${IPV4}$`);

/** `text` as SIR accepts it, or undefined when it is not an IPv4 or IPv6 address. */
export function toSirIpAddress(text: string): string | undefined {
  const candidate = text.trim();
  if (IPV4_ONLY.test(candidate)) return candidate;
  const expanded = expandIpv6(candidate);
  return expanded !== undefined && SIR_IP_ADDRESS_PATTERN.test(expanded) ? expanded : undefined;
}

/** The distinct addresses SIR accepts among `texts`, in order, at most `max` of them. */
export function sirIpAddresses(texts: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (const text of texts) {
    const address = toSirIpAddress(text);
    if (address !== undefined && !out.includes(address)) out.push(address);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * RFC 4291 text forms → eight uppercase groups, or six and an IPv4 tail. Zone ids (`fe80::1%eth0`)
 * name an interface on some host, meaningless on a case, so such addresses are refused.
 */
function expandIpv6(text: string): string | undefined {
  if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let tail: string | undefined;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail = text.slice(lastColon + 1);
    if (!IPV4_ONLY.test(tail)) return undefined;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::" and "1::1.2.3.4" leaves "1::" — both keep their meaning without the tail.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tail === undefined ? 8 : 6;

  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): string[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    return groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? groups : undefined;
  };
  const left = parse(halves[0] ?? '');
  const right = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) return undefined;

  let groups: string[];
  if (halves.length === 2) {
    const missing = groupsWanted - left.length - right.length;
    // `::` stands for at least one group of zeros.
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<string>(missing).fill('0'), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== groupsWanted) return undefined;
  const hex = groups.map((g) => parseInt(g, 16).toString(16).toUpperCase());
  return tail === undefined ? hex.join(':') : `${hex.join(':')}:${tail}`;
}
