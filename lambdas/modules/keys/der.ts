/**
 * ECDSA signature encodings. AWS KMS answers an ECDSA signature DER-encoded (an ASN.1 SEQUENCE of
 * two INTEGERs, r and s); a JWS ES256 signature is the two as fixed 32-byte big-endian numbers,
 * r || s (RFC 7518, section 3.4).
 */

/** Converts a DER ECDSA signature into the raw `r || s` of `size` bytes each (32 for P-256). */
export function derToRawEcdsa(der: Uint8Array, size = 32): Uint8Array {
  let at = 0;
  const byte = () => {
    if (at >= der.length) throw new Error('DER signature truncated');
    return der[at++]!;
  };
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count < 1 || count > 2) throw new Error('DER length not supported');
    let n = 0;
    for (let i = 0; i < count; i++) n = (n << 8) | byte();
    return n;
  };
  if (byte() !== 0x30) throw new Error('DER signature is not a SEQUENCE');
  const seqLength = length();
  if (seqLength !== der.length - at) throw new Error('DER SEQUENCE length does not match');
  const out = new Uint8Array(size * 2);
  for (const offset of [0, size]) {
    if (byte() !== 0x02) throw new Error('DER signature part is not an INTEGER');
    const n = length();
    if (n < 1 || at + n > der.length) throw new Error('DER INTEGER length out of range');
    let value = der.subarray(at, at + n);
    at += n;
    // A leading zero only keeps a number with its high bit set positive.
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) throw new Error('DER INTEGER too large for the curve');
    out.set(value, offset + size - value.length);
  }
  if (at !== der.length) throw new Error('trailing bytes after the DER signature');
  return out;
}
