import { evolve, initialState, toDomainEvent, upcast } from '../index';
import { at, submitted } from '../testing/fixtures';

describe('upcast', () => {
  // A v0 ContactRequestSubmitted as the prototype stored it: no schemaVersion, no priority, and the
  // requester flattened into requesterRole / requesterName / requesterEmail / requesterPhone.
  const { requester: _requester, priority: _priority, schemaVersion: _v, ...rest } = submitted().data;
  const v0 = {
    ...rest,
    requesterRole: 'school',
    requesterName: 'Ms SENCO',
    requesterEmail: 'senco@example.org',
    requesterPhone: '01234 567890',
  };

  it('brings a v0 ContactRequestSubmitted to v1: requester object, priority normal', () =>
    expect(upcast('ContactRequestSubmitted', v0)).toEqual({
      ...submitted().data,
      requester: { role: 'school', name: 'Ms SENCO', email: 'senco@example.org', phone: '01234 567890' },
      priority: 'normal',
      schemaVersion: 1,
    }));

  it('the upcast event replays like a v1 one', () => {
    const event = toDomainEvent({ type: 'ContactRequestSubmitted', data: v0 });
    expect(event).not.toBeNull();
    expect(evolve(initialState, event!)).toMatchObject({ status: 'open', priority: 'normal', requester: { role: 'school' } });
  });

  it('leaves v1 data as it is', () => {
    const data = submitted().data as unknown as Record<string, unknown>;
    expect(upcast('ContactRequestSubmitted', data)).toBe(data);
  });

  it('a type with no steps gets only its version stamped', () =>
    expect(upcast('CallBackFailed', { officerId: 'o', at: at(1) })).toEqual({ officerId: 'o', at: at(1), schemaVersion: 1 }));

  it('refuses data from a newer version than this code knows', () =>
    expect(() => upcast('ContactRequestSubmitted', { ...submitted().data, schemaVersion: 2 })).toThrow(/schemaVersion 2/));

  it('toDomainEvent skips types it does not know', () => expect(toDomainEvent({ type: 'SomethingElse', data: {} })).toBeNull());
});
