/** Basic authentication of `uuid:key` credentials against hashed keys, in constant time. */
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.ts';
import { hashKey, type NamespaceStore } from './store/namespaces.ts';

export interface Identity {
  namespace: string;
  /** The credential as given, for actions that may see their API key. */
  authKey: string;
}

export class Authenticator {
  private readonly namespaces: NamespaceStore;
  private readonly allowWellKnownKeys: boolean;

  constructor(namespaces: NamespaceStore, allowWellKnownKeys: boolean) {
    this.namespaces = namespaces;
    this.allowWellKnownKeys = allowWellKnownKeys;
  }

  /** Returns the identity, or undefined when the header is absent; throws 401 on bad credentials. */
  identify(authorization: string | undefined): Identity | undefined {
    if (authorization === undefined || authorization === '') return undefined;
    const identity = this.verify(authorization);
    if (!identity) throw new ApiError('badCredentials');
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
    if (!timingSafeEqual(given, record.keyHash)) return undefined;
    if (record.wellKnown && !this.allowWellKnownKeys) return undefined;
    return { namespace: record.name, authKey: decoded };
  }
}
