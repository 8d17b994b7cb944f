/**
 * Encoders of MySQL values that arrive as bytes: binary strings and blobs as bytea, geometry as WKB
 * or PostGIS EWKB, and MariaDB's UUID, INET4 and INET6 in the server's own text.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Encoder, RejectValue } from "./types.ts";

function bytesOf(v: unknown, bad: RejectValue): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return bad(v);
}

/** The bytes of a BINARY(n)-like value, zero bytes the binlog dropped at the end put back. */
export function fixedBytes(v: unknown, width: number, bad: RejectValue): Buffer {
  const bytes = bytesOf(v, bad);
  if (bytes.length >= width) return bytes;
  const padded = Buffer.alloc(width);
  bytes.copy(padded);
  return padded;
}

/**
 * bytea hex input. `fixed`: BINARY(n) width, restored because the binlog drops trailing zero
 * bytes that a SELECT returns.
 */
export function binaryEncoder(fixed: number, bad: RejectValue): Encoder {
  return (v) => {
    const bytes = bytesOf(v, bad);
    const hex = bytes.toString("hex");
    return fixed > bytes.length ? "\\x" + hex.padEnd(fixed * 2, "0") : "\\x" + hex;
  };
}

/** MySQL stores a geometry as a 4-byte little-endian SRID followed by WKB. */
function geometryBytes(v: unknown, bad: RejectValue): Buffer {
  const bytes = bytesOf(v, bad);
  return bytes.length >= 9 ? bytes : bad(v);
}

/** bytea hex of the WKB without MySQL's SRID prefix. */
export function geometryToWkb(bad: RejectValue): Encoder {
  return (v) => "\\x" + geometryBytes(v, bad).subarray(4).toString("hex");
}

/** PostGIS reads hex EWKB: the WKB with the SRID flag and value in the header. */
export function geometryToEwkb(bad: RejectValue): Encoder {
  return (v) => {
    const bytes = geometryBytes(v, bad);
    const srid = bytes.readUInt32LE(0);
    const wkb = bytes.subarray(4);
    if (srid === 0) return wkb.toString("hex");
    const little = wkb[0] === 1;
    const head = Buffer.alloc(9);
    head[0] = wkb[0];
    const type = (little ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1)) | 0x20000000;
    if (little) {
      head.writeUInt32LE(type >>> 0, 1);
      head.writeUInt32LE(srid, 5);
    } else {
      head.writeUInt32BE(type >>> 0, 1);
      head.writeUInt32BE(srid, 5);
    }
    return head.toString("hex") + wkb.subarray(5).toString("hex");
  };
}

/** MariaDB's UUID bytes in the canonical 8-4-4-4-12 form. */
export function uuidText(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** MariaDB's INET4 bytes in dotted form. */
export function inet4Text(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * The server's own INET6 text: RFC 5952 (lower-case hex, the longest run of two or more zero
 * groups shortened to `::`, the first such run on a tie), IPv4-mapped and IPv4-compatible
 * addresses in dotted form.
 */
export function inet6Text(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0)) {
    const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    if (b[10] === 0xff && b[11] === 0xff) return `::ffff:${v4}`;
    if (b[10] === 0 && b[11] === 0 && b.readUInt32BE(12) > 1) return `::${v4}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  const text = `:${parts.join(":")}:`;
  let longest = "";
  for (const run of text.match(ZERO_RUNS) ?? []) if (run.length > longest.length) longest = run;
  if (longest === "") return parts.join(":");
  const at = text.indexOf(longest);
  const head = text.slice(1, at);
  const tail = text.slice(at + longest.length, -1);
  return `${head}::${tail}`;
}

/** Two or more zero groups, with their delimiting colons, in `:g:g:...:g:` form. */
const ZERO_RUNS = /:0(?::0)+:/g;
