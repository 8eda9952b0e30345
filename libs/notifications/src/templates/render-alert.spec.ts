import type { ContactRequestState } from '@send/domain';
import { after, advance, attempt, checkDeadline, PERSONAL, story, submit } from '../testing/request-story';
import { alertPayload, renderAlert } from './render-alert';
import { summariseAlert } from './summarise-alert';

const ID = '0b6f1c1e-5a52-4d1b-8f0e-2a9d7c3e4b10';

/** The alert for the last event of a story that is an alert event. */
function lastAlert(steps: Parameters<typeof story>[0]) {
  const events = story(steps);
  const found = [...events].reverse().find((e) => /^Escalation(Raised|Advanced|Renotified)$|^SlaBreached$/.test(e.event.type))!;
  return summariseAlert(found.id, found.event, found.state as ContactRequestState)!;
}

/** Three unanswered phone calls after a submission on Monday 2 March 2026, 10:00 GMT. */
const raised = () =>
  lastAlert([
    [submit(ID), after(0)],
    [attempt(ID, 1), after(10)],
    [attempt(ID, 2), after(20)],
    [attempt(ID, 3), after(30)],
  ]);

function expectNoPersonalData(text: string) {
  for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
  expect(text).not.toMatch(/Zebedee|Barnaby|Quigley|07700|@/);
}

describe('alert templates', () => {
  it('name the request, how many times the family tried and since when, in UK time', () => {
    const message = renderAlert(raised());
    expect(message.subject).toBe('[SEND] Escalation level 1: SEND-2026-000123 (EHC needs assessment)');
    expect(message.text).toContain('Request SEND-2026-000123 (EHC needs assessment) has been escalated to you as team manager (level 1).');
    expect(message.text).toContain('Reason: repeated unanswered contact.');
    expect(message.text).toContain('The family has tried to reach the service 3 times without an answer, since Mon 2 Mar 2026, 10:00 GMT.');
    expect(message.text).toContain('Request submitted: Mon 2 Mar 2026, 10:00 GMT.');
    expect(message.text).toContain('Please acknowledge by Mon 2 Mar 2026, 10:00 GMT.'); // 24/7 test policy: ack within 10 s
    expect(message.text).toContain(`Open the request: /requests/${ID}`);
    expect(message.html).toContain(`<a href="/requests/${ID}">Open request SEND-2026-000123</a>`);
  });

  it('show summer times in BST and make the link absolute when given a base URL', () => {
    const summer = lastAlert([
      [submit(ID, { category: 'transport', priority: 'urgent' }), new Date('2026-06-01T08:15:00Z')],
      [attempt(ID, 1), new Date('2026-06-01T08:16:00Z')],
      [attempt(ID, 2), new Date('2026-06-01T08:17:00Z')],
      [attempt(ID, 3), new Date('2026-06-01T08:18:00Z')],
    ]);
    const message = renderAlert(summer, { baseUrl: 'https://send.example.gov.uk/' });
    expect(message.text).toContain('(Transport, urgent)');
    expect(message.text).toContain('since Mon 1 Jun 2026, 09:16 BST');
    expect(message.text).toContain(`Open the request: https://send.example.gov.uk/requests/${ID}`);
  });

  it('say where an escalation moved from and to, and who it is with now', () => {
    const advanced = lastAlert([
      [submit(ID), after(0)],
      [attempt(ID, 1), after(10)],
      [attempt(ID, 2), after(20)],
      [attempt(ID, 3), after(30)],
      [attempt(ID, 4), after(35)], // counted on the open escalation
      [advance(ID, 'esc-a3', 1), after(41)],
    ]);
    expect(advanced.kind).toBe('escalation_advanced');
    const message = renderAlert(advanced);
    expect(message.subject).toBe('[SEND] Escalated to level 2: SEND-2026-000123 (EHC needs assessment)');
    expect(message.text).toContain('has moved up from level 1 to level 2 and is now with you as service manager.');
    expect(message.text).toContain('Reason: not acknowledged in time.');
    expect(message.text).toContain('tried to reach the service 4 times');
  });

  it('word a missed deadline with the time it was due', () => {
    const breach = lastAlert([
      [submit(ID, { requester: { role: 'school', name: PERSONAL.name, email: PERSONAL.email } }), after(0)],
      [checkDeadline(ID, 'resolution'), after(1001)],
    ]);
    expect(breach.kind).toBe('sla_breached');
    expect(breach.level).toBeNull();
    expect(breach.notifyRole).toBe('team_manager');
    const message = renderAlert(breach);
    expect(message.subject).toBe('[SEND] Resolution deadline missed: SEND-2026-000123 (EHC needs assessment)');
    expect(message.text).toContain('has missed its resolution deadline.');
    expect(message.text).toContain('The school has had no answer yet.');
    expect(message.text).toContain('It was due by Mon 2 Mar 2026, 10:16 GMT.');
  });

  it('carry no names, contact details, case number, subject or message text in any form', () => {
    const alerts = [
      raised(),
      lastAlert([
        [submit(ID), after(0)],
        [checkDeadline(ID, 'first_response'), after(101)],
      ]),
    ];
    for (const alert of alerts) {
      const message = renderAlert(alert);
      expectNoPersonalData(JSON.stringify(alert));
      expectNoPersonalData([message.subject, message.text, message.html, JSON.stringify(message.personalisation)].join('\n'));
      expectNoPersonalData(JSON.stringify(alertPayload(alert)));
    }
  });

  it('give programs the same facts with routing fields', () => {
    const payload = alertPayload(raised());
    expect(payload).toMatchObject({
      kind: 'escalation_raised',
      title: 'Escalation level 1: SEND-2026-000123 (EHC needs assessment)',
      requestId: ID,
      reference: 'SEND-2026-000123',
      category: 'ehc_assessment',
      level: 1,
      reason: 'repeated_unanswered',
      unansweredCount: 3,
      firstUnansweredAt: '2026-03-02T10:00:10.000Z',
      role: 'team_manager',
      teamId: 'north',
      link: `/requests/${ID}`,
    });
  });
});
