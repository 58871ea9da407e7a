/** Basic authentication of `uuid:key` credentials against hashed keys, in constant time. */
import { nodeCrypto } from './crypto.ts';
import { ApiError } from './errors.ts';
import { hashKey, type NamespaceStore } from './store/namespaces.ts';

export interface Identity {
  namespace: string;
  /** The credential as given, for actions that may see their API key. */
  authKey: string;
}

/** Credentials remembered once verified (at most this many; the map starts over when full). */
const MAX_VERIFIED = 1024;

export class Authenticator {
  private readonly namespaces: NamespaceStore;
  private readonly allowWellKnownKeys: boolean;
  /**
   * Authorization headers that verified, exactly as sent. Hashing the key is most of what a
   * blocking invoke costs the API layer, and keys never change (namespaces are neither deleted nor
   * re-keyed). Looking a header up here reveals nothing about how much of a key is right: a hash
   * map compares whole strings, and only after their hashes matched; a header that is not
   * remembered goes through the constant-time check below.
   */
  private readonly verified = new Map<string, Identity>();

  constructor(namespaces: NamespaceStore, allowWellKnownKeys: boolean) {
    this.namespaces = namespaces;
    this.allowWellKnownKeys = allowWellKnownKeys;
  }

  /** Returns the identity, or undefined when the header is absent; throws 401 on bad credentials. */
  identify(authorization: string | undefined): Identity | undefined {
    if (authorization === undefined || authorization === '') return undefined;
    const remembered = this.verified.get(authorization);
    if (remembered !== undefined) return remembered;
    const identity = this.verify(authorization);
    if (!identity) throw new ApiError('badCredentials');
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(authorization, identity);
    return identity;
  }

  /** Requires credentials: 401 when missing or wrong. */
  require(authorization: string | undefined): Identity {
    const identity = this.identify(authorization);
    if (!identity) throw new ApiError('unauthenticated');
    return identity;
  }

  private verify(authorization: string): Identity | undefined {
    const match = /^basic\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return undefined;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    const uuid = decoded.slice(0, colon);
    const key = decoded.slice(colon + 1);
    const record = this.namespaces.byUuid(uuid);
    // Hash even when the uuid is unknown, so a miss costs the same as a wrong key.
    const given = hashKey(key);
    if (!record) return undefined;
    if (!nodeCrypto().timingSafeEqual(given, record.keyHash)) return undefined;
    if (record.wellKnown && !this.allowWellKnownKeys) return undefined;
    return { namespace: record.name, authKey: decoded };
  }
}
