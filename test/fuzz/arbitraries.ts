/**
 * Generators of near-valid request text shared by the property tests and the HTTP fuzz: what a
 * careless or hostile client sends in a Range header, a tus header or an image query.
 */
import * as fc from 'fast-check';
import { FIT_MODES } from '../../src/pipeline/images/image-request.js';

/** File sizes: empty, tiny, ordinary, around 2^32 and 2^53. */
export const fileSize = fc.oneof(
  fc.constantFrom(0, 1, 2, 1000, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: 5_000_000 }),
);

/** A byte position as text: near the size, zero-padded, or far beyond 2^53. */
export const positionText = fc.oneof(
  fc.nat({ max: 2000 }).map(String),
  fc.nat({ max: 2000 }).map((n) => `000${n}`),
  fc.constantFrom('0', String(Number.MAX_SAFE_INTEGER), '9007199254740993', '18446744073709551616', '9'.repeat(400)),
  fc.stringMatching(/^\d{1,40}$/),
);

/** One element of a range list: valid specs most of the time, near misses otherwise. */
export const rangeSpecText = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(positionText, positionText).map(([a, b]) => `${a}-${b}`) },
  { weight: 2, arbitrary: positionText.map((a) => `${a}-`) },
  { weight: 2, arbitrary: positionText.map((b) => `-${b}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('', ' ', '-', '--5', '5', '1.5-2', '0x10-20', '-1-2', '1-2-3', ' 0 - 9 ', '\t3-4', '0-\u00a09', '１-２', 'abc', '1e3-'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

export const rangeUnit = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('bytes', 'BYTES', 'Bytes') },
  { weight: 2, arbitrary: fc.constantFrom('items', 'byte', 'bytes ', ' bytes', '', 'none', 'bytes;q=1') },
);

export const rangeHeader = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(rangeUnit, fc.array(rangeSpecText, { minLength: 1, maxLength: 4 }), fc.constantFrom(',', ', ', ' ,', ',,')).map(([unit, specs, sep]) => `${unit}=${specs.join(sep)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Values near the valid ones: bounds, padding, signs, exponents, decimals, unicode digits. */
export const imageParamValue = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 5000 }).map(String) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '0', '15', '16', '3840', '3841', '0016', '00000000', '1.5', '12.000001', '12.0000001', '9999999', '9999999.999999', '10000000',
      '-1', '+5', '1e3', '0x10', 'NaN', 'Infinity', '', ' 16', '16 ', '１６', '٣', '2.', '.5', ...FIT_MODES, 'PRESERVE', 'crop ', 'constructor', '__proto__',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

export const imageParamKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('time', 'width', 'height', 'fit_mode') },
  { weight: 1, arbitrary: fc.constantFrom('Time', 'size', 'fit', '', '__proto__', 'constructor', 'toString', 'width[]') },
);

/** Integers as text, as clients get them wrong: signs, blanks, floats, exponents, beyond 2^53. */
export const integerText = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('-1', '+1', ' 1', '1 ', '1.0', '1e3', '0x10', '00', '01', '', '9007199254740991', '9007199254740993', '1'.repeat(30), 'Infinity', 'NaN', '1,2'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Any text as it can travel in a header: printable latin1, or unicode as its UTF-8 bytes. */
export const headerText = fc.oneof(
  fc.string({ maxLength: 40 }).map(latin1Safe),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => latin1Safe(Buffer.from(s, 'utf8').toString('latin1'))),
);

/** Drops what Node refuses to send in a header value (controls other than tab). */
export function latin1Safe(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}
