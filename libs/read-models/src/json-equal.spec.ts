import { jsonEqual } from './json-equal';

describe('jsonEqual', () => {
  const cases: Array<[unknown, unknown]> = [
    [
      { a: 1, b: { c: [1, 'x', null] } },
      { b: { c: [1, 'x', null] }, a: 1 },
    ],
    [{ a: 1 }, { a: 1, b: undefined }],
    [{ a: 1 }, { a: 2 }],
    [{ a: 1 }, { a: 1, b: null }],
    [
      [1, 2],
      [2, 1],
    ],
    [[1], { 0: 1 }],
    [{ a: [] }, { a: {} }],
    [null, {}],
    ['1', 1],
    [{ a: { b: 'x' } }, { a: { b: 'x', c: 0 } }],
  ];
  it.each(cases)('agrees with comparing JSON.stringify (key order aside): %j vs %j', (a, b) => {
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .sort()
                .map(([k, x]) => [k, sorted(x)]),
            )
          : v;
    expect(jsonEqual(a, b)).toBe(JSON.stringify(sorted(a)) === JSON.stringify(sorted(b)));
  });
});
