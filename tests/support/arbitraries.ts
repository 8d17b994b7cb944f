/**
 * fast-check generators of MySQL values, shared by the property tests (convert_property_test.ts,
 * types_sync_test.ts). Values are plain text (no SQL quoting) unless said otherwise.
 */
import fc from "fast-check";

export const pad = (n: number | bigint, width: number) => String(n).padStart(width, "0");

/** `arb` or, once in `freq` times, null. */
export const nullable = <T>(arb: fc.Arbitrary<T>, freq = 6) => fc.option(arb, { freq });

/** An integer of a `bits` wide column, as decimal text. */
export const intIn = (bits: number, unsigned: boolean) =>
  fc.bigInt(
    unsigned ? 0n : -(2n ** BigInt(bits - 1)),
    unsigned ? 2n ** BigInt(bits) - 1n : 2n ** BigInt(bits - 1) - 1n,
  ).map(String);

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });

/** A DECIMAL literal: up to `integral` digits (leading zeros too), up to `scale` decimals. */
export const decimalIn = (integral: number, scale: number) =>
  fc.tuple(fc.boolean(), digits(1, integral), digits(0, scale)).map(([negative, i, f]) =>
    `${negative ? "-" : ""}${i}${f ? "." + f : ""}`
  );

/**
 * `YYYY-MM-DD` in years 0 to 9999, days up to `maxDay` (past a short month's end: an invalid
 * date); with `zeros`, one in ten has a zero year, month and/or day.
 */
export const ymd = (maxDay: number, zeros = false) => {
  const valid = fc.tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: maxDay }),
  );
  const zero = fc.tuple(fc.constantFrom(0, 2020), fc.constantFrom(0, 5), fc.constantFrom(0, 7));
  return (zeros ? fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: zero }) : valid)
    .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
};

/** `HH:MM:SS.ffffff` within a day. */
export const clock = fc.tuple(
  fc.integer({ min: 0, max: 23 }),
  fc.integer({ min: 0, max: 59 }),
  fc.integer({ min: 0, max: 59 }),
  fc.integer({ min: 0, max: 999999 }),
).map(([h, m, s, us]) => `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(us, 6)}`);

/** TIME's largest magnitude, 838:59:59.999999, in microseconds. */
export const MAX_TIME = 838n * 3600n * 1_000_000n + 59n * 60_000_000n + 59_999_999n;
/** `[-]HHH:MM:SS.ffffff` over TIME's whole range. */
export const timeArb = fc.bigInt(-MAX_TIME, MAX_TIME).map((us) => {
  const a = us < 0n ? -us : us;
  const s = a / 1_000_000n;
  return `${us < 0n ? "-" : ""}${pad(s / 3600n, 2)}:${pad((s / 60n) % 60n, 2)}:${pad(s % 60n, 2)}.${
    pad(a % 1_000_000n, 6)
  }`;
});

/** Any code points, control characters and U+0000 included. */
export const unicode = (maxLength: number) =>
  fc.string({ unit: "binary", maxLength }).map((s) => s.toWellFormed());

/**
 * JSON text: exact big integers, doubles, any unicode (U+0000 included, in keys only when
 * `nulInKeys`), nesting; strings, arrays and objects up to the given lengths.
 */
export const jsonArb = (
  max: { string: number; items: number; key: number },
  nulInKeys = true,
): fc.Arbitrary<string> =>
  fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      unicode(max.string).map((s) => JSON.stringify(s)),
      fc.constantFrom("true", "false", "null"),
      fc.array(tie("value"), { maxLength: max.items }).map((items) => `[${items.join(", ")}]`),
      fc.array(
        fc.tuple(
          unicode(max.key).map((k) => nulInKeys ? k : k.replaceAll("\u0000", "")),
          tie("value"),
        ),
        { maxLength: max.items },
      ).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`),
    ),
  })).value;
