/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, RFC 3720 §B.4) and TFRecord's masked form
 * (tensorflow/core/lib/hash/crc32c.h: `((crc >> 15) | (crc << 17)) + 0xa282ead8`). A 1 KiB table; event files
 * are small, so the byte-at-a-time loop is plenty.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
