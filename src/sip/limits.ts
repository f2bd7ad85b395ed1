/**
 * Size limits applied to every SIP message from the network, checked as the bytes arrive so a
 * peer cannot make the node buffer or scan more than these bounds.
 */
export interface ParseLimits {
  /** Whole message (start line, headers, body) in bytes. */
  maxMessageSize: number;
  /** Header fields (lines, a folded field counting once). */
  maxHeaders: number;
  /** One line in bytes, and one unfolded header field. */
  maxLineLength: number;
}

/** 65535: the largest UDP payload, which RFC 3261 §18.1.1 lets a message grow up to. */
export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageSize: 65535,
  maxHeaders: 100,
  maxLineLength: 8192,
});
