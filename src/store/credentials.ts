/** What the registrar needs to check a digest: the realm and the stored HA1 of a user. */
import type { DigestAlgorithm } from '../sip/digest-hash.js';

export interface Credentials {
  readonly realm: string;
  /** HA1 of `user` (matched case-insensitively) for `algorithm`, or undefined for an unknown user. */
  ha1(user: string, algorithm: DigestAlgorithm): string | undefined;
}
