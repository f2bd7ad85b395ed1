/**
 * What a transaction tells its transaction user (TU, RFC 3261 §17): the UA core or the proxy core.
 * Every callback runs synchronously from inside the transaction; a TU may call back into the
 * transaction (or terminate it) from there.
 */
import type { SipRequest, SipResponse } from '../message.js';

export interface ClientTransactionUser {
  /** A response the RFC passes up (provisionals, the first final, 2xx retransmissions in Accepted). */
  onResponse(response: SipResponse): void;
  /**
   * Timer B or F fired before a final response arrived (§17.1.1.2, §17.1.2.2). The TU treats it as
   * a 408 (Request Timeout) response (§8.1.3.1; a proxy per §16.8).
   */
  onTimeout(): void;
  /** The transport could not send the request or the ACK; the transaction has ended (§17.1.4). */
  onTransportError(): void;
  /** The transaction reached Terminated, by whatever route. */
  onTerminated?(): void;
}

export interface InviteServerTransactionUser {
  /**
   * RFC 6026: an ACK matched to the transaction in Accepted is the ACK for the 2xx and goes to
   * the TU (the ACK for a non-2xx final response is the transaction's own and is absorbed).
   */
  onAck?(ack: SipRequest): void;
  /** Timer H fired: no ACK came for the non-2xx final response (§17.2.1, "inform the TU"). */
  onTimeout?(): void;
  /** The transport failed to send a response (§17.2.4). */
  onTransportError?(): void;
  /** The transaction reached Terminated, by whatever route. */
  onTerminated?(): void;
}
