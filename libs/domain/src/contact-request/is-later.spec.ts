import fc from 'fast-check';
import { isLater } from '../index';

describe('isLater: instants compared as time, without parsing the common form', () => {
  it('compares toISOString forms as their instants', () => {
    expect(isLater('2026-12-01T10:00:00.001Z', '2026-12-01T10:00:00.000Z')).toBe(true);
    expect(isLater('2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.000Z')).toBe(false);
    expect(isLater('2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z')).toBe(false);
  });

  it('parses any other form: an offset, no milliseconds, or a mix of forms', () => {
    // 10:30+01:00 is 09:30Z: earlier, though it sorts later as text.
    expect(isLater('2026-12-01T10:30:00+01:00', '2026-12-01T10:00:00.000Z')).toBe(false);
    expect(isLater('2026-12-01T10:00:00.000Z', '2026-12-01T10:30:00+01:00')).toBe(true);
    expect(isLater('2026-12-01T10:00:01Z', '2026-12-01T10:00:00.999Z')).toBe(true);
  });

  it('agrees with Date.parse for any two instants, in either form', () => {
    const instant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true });
    const written = (d: Date, withOffset: boolean) => (withOffset ? d.toISOString().replace(/\.\d{3}Z$/, '+00:00') : d.toISOString());
    fc.assert(
      fc.property(instant, instant, fc.boolean(), fc.boolean(), (a, b, offsetA, offsetB) => {
        const [x, y] = [written(a, offsetA), written(b, offsetB)];
        expect(isLater(x, y)).toBe(Date.parse(x) > Date.parse(y));
      }),
    );
  });
});
