// The Internet checksum (RFC 1071): a ones'-complement sum of 16-bit words.
// Sums are kept unfolded in a plain number and folded only at the end, which
// is exact as long as fewer than ~2^37 bytes are summed.

/** Adds the bytes buf[start, end) as big-endian 16-bit words to `initial`; an odd tail byte is padded with zero. */
export function sumBytes(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let sum = initial;
  let i = start;
  const last = end - 1;
  // Unrolled by 8 bytes: this loop is the hot path for bulk TCP.
  const stop8 = end - 7;
  for (; i < stop8; i += 8) {
    sum += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]) + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
  }
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === last) sum += buf[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for a running sum (ones' complement of the folded sum). */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** Internet checksum of buf[start, end). */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return finishChecksum(sumBytes(buf, start, end));
}

/**
 * The running sum of a transport pseudo-header: RFC 768/793 for IPv4 (src,
 * dst, zero, proto, length) and RFC 8200 section 8.1 for IPv6 (src, dst,
 * 32-bit length, zeros, next header).
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sumBytes(src) + sumBytes(dst) + protocol;
  if (src.length === 4) sum += length;
  else sum += (length >>> 16) + (length & 0xffff);
  return sum;
}
