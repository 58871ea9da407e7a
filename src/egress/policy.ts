/**
 * Which outbound hosts an action's fetch may reach. One deny-list of host names, IP addresses and
 * CIDR ranges (e.g. 169.254.169.254, 10.0.0.0/8, fd00::/8, *.internal); everything else is allowed.
 * Pure: the fetch layer applies it to the URL's host and again to every address DNS returns at
 * connect time, so a name that resolves to a denied address is refused too.
 */
import { BlockList, isIP } from 'node:net';

export interface EgressPolicy {
  /** The reason `host` (a URL hostname: name, IPv4, or [IPv6]) is refused, else undefined. */
  checkHost(host: string): string | undefined;
  /** The reason a resolved IP address is refused, else undefined. */
  checkAddress(address: string): string | undefined;
}

const HOST_NAME = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Normalizes one deny-list entry, or throws with the reason it is not one. */
export function parseDenyEntry(raw: string): string {
  const entry = raw.trim().toLowerCase().replace(/\.$/, '');
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const address = unbracket(entry.slice(0, slash));
    const bits = entry.slice(slash + 1);
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new Error(`'${raw}' is not a CIDR range`);
    return `${address}/${Number(bits)}`;
  }
  const address = unbracket(entry);
  if (isIP(address) !== 0) return address;
  if (!HOST_NAME.test(entry)) throw new Error(`'${raw}' is not a host name, IP address or CIDR range`);
  return entry;
}

export function compilePolicy(entries: readonly string[]): EgressPolicy {
  const blocks = new BlockList();
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = parseDenyEntry(raw);
    const slash = entry.indexOf('/');
    if (slash >= 0) {
      const address = entry.slice(0, slash);
      blocks.addSubnet(address, Number(entry.slice(slash + 1)), isIP(address) === 4 ? 'ipv4' : 'ipv6');
    } else if (isIP(entry) !== 0) {
      blocks.addAddress(entry, isIP(entry) === 4 ? 'ipv4' : 'ipv6');
    } else if (entry.startsWith('*.')) {
      suffixes.push(entry.slice(1));
    } else {
      names.add(entry);
    }
  }
  const checkAddress = (raw: string): string | undefined => {
    const address = plainAddress(raw);
    const family = isIP(address);
    if (family === 0) return `'${raw}' is not an IP address`;
    return blocks.check(address, family === 4 ? 'ipv4' : 'ipv6') ? `${address} is denied by the egress policy` : undefined;
  };
  return {
    checkAddress,
    checkHost(host) {
      const name = unbracket(host.toLowerCase()).replace(/\.$/, '');
      if (isIP(name) !== 0) return checkAddress(name);
      if (names.has(name) || suffixes.some((suffix) => name.endsWith(suffix))) return `${name} is denied by the egress policy`;
      return undefined;
    },
  };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d or ::ffff:a9fe:a9fe) is checked as the IPv4 address it is. */
function plainAddress(raw: string): string {
  const address = unbracket(raw.toLowerCase());
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted && isIP(dotted[1]!) === 4) return dotted[1]!;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return address;
}
