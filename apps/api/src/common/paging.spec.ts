import fc from 'fast-check';
import { decodeCursor, encodeCursor, nextLink, parsePageQuery } from './paging';
import { ProblemException } from './problem';

/** The problem parsePageQuery throws, or null when it accepts the query. */
function problemOf(query: unknown) {
  try {
    parsePageQuery(query);
    return null;
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
}

describe('page query', () => {
  it('defaults to the first 100 and accepts 1..500', () => {
    expect(parsePageQuery({})).toEqual({ limit: 100, after: null });
    expect(parsePageQuery(undefined)).toEqual({ limit: 100, after: null });
    expect(parsePageQuery({ limit: '1' }).limit).toBe(1);
    expect(parsePageQuery({ limit: '500', teamId: 'north' }).limit).toBe(500);
  });

  it.each([['0'], ['501'], ['-1'], ['2.5'], ['ten'], [''], [['10', '20']]])('answers 400 naming limit for limit=%j', (limit) => {
    expect(problemOf({ limit })).toMatchObject({ status: 400, errors: [{ field: 'limit', message: expect.stringContaining('1 to 500') }] });
  });

  it.each([
    ['not base64', 'a+b/c'],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['not a pair', Buffer.from('[1]').toString('base64url')],
    ['a score that is not a number', Buffer.from('["1","a"]').toString('base64url')],
    ['an empty id', Buffer.from('[1,""]').toString('base64url')],
    ['padding', `${encodeCursor({ score: 1, id: 'ab' })}=`],
    ['an empty cursor', ''],
  ])('answers 400 naming cursor for %s', (_what, cursor) => {
    expect(problemOf({ cursor })).toMatchObject({ status: 400, errors: [{ field: 'cursor' }] });
  });

  it('round-trips every cursor it gives out', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ minLength: 1, maxLength: 200 }), (score, id) => {
        const text = encodeCursor({ score, id });
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(text)).toEqual({ score: Object.is(score, -0) ? 0 : score, id });
        expect(parsePageQuery({ cursor: text, limit: '5' })).toEqual({ limit: 5, after: decodeCursor(text) });
      }),
    );
  });
});

describe('Link rel="next"', () => {
  const cursor = { score: 11_760_000_000_000, id: '2b0c1a4e-0000-4000-8000-000000000001' };

  it('keeps the path and the other query parameters, with the limit and the next cursor', () => {
    const link = nextLink('/api/queue/team?teamId=north&limit=2', 2, cursor);
    expect(link).toBe(`</api/queue/team?teamId=north&limit=2&cursor=${encodeCursor(cursor)}>; rel="next"`);
  });

  it('replaces the cursor of the page it follows and adds the default limit when none was given', () => {
    const link = nextLink(`/api/requests?status=open&cursor=${encodeCursor({ score: 1, id: 'x' })}`, 100, cursor);
    const url = new URL(/^<([^>]+)>; rel="next"$/.exec(link)![1], 'http://host');
    expect(url.pathname).toBe('/api/requests');
    expect([...url.searchParams]).toEqual([
      ['status', 'open'],
      ['cursor', encodeCursor(cursor)],
      ['limit', '100'],
    ]);
    expect(decodeCursor(url.searchParams.get('cursor')!)).toEqual(cursor);
  });
});
