import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import type { ContactRequestState } from '@send/domain';
import { testRedis } from '@send/event-store/testing/test-redis';
import { after, attempt, PERSONAL, story, submit } from '../testing/request-story';
import {
  httpStandIn,
  notifyEmailAnswer,
  NOTIFY_API_KEY,
  NOTIFY_SERVICE_ID,
  NOTIFY_TEMPLATE_ID,
  smtpSink,
  verifyNotifyJwt,
} from '../testing/local-servers';
import { until } from '../testing/users';
import { alertPayload, renderAlert, summariseAlert } from '../templates';
import { PermanentDeliveryError, type DeliveryTarget, type OutgoingAlert } from './channel';
import { InAppChannel } from './in-app.channel';
import { NotifyChannel } from './notify.channel';
import { SmtpEmailChannel } from './smtp-email.channel';
import { signWebhookBody, verifyWebhook } from './webhook-signature';
import { WebhookChannel } from './webhook.channel';

const REQUEST = 'a1d4c0de-7e57-4b1e-9a3c-5d6e7f801234';
const NOW = new Date('2026-03-02T10:01:00Z');

function outgoing(): OutgoingAlert {
  const events = story([
    [submit(REQUEST), after(0)],
    [attempt(REQUEST, 1), after(10)],
    [attempt(REQUEST, 2), after(20)],
    [attempt(REQUEST, 3), after(30)],
  ]);
  const last = events[events.length - 1];
  const alert = summariseAlert(last.id, last.event, last.state as ContactRequestState)!;
  return { deliveryId: `${last.id}|email|user-1`, alert, message: renderAlert(alert), payload: alertPayload(alert) };
}

const manager: DeliveryTarget = {
  role: 'team_manager',
  teamId: 'north',
  userIds: ['u-manager'],
  recipient: { userId: 'u-manager', email: 'manager@example.org', role: 'team_manager', teamId: 'north' },
};

const expectNoPersonalData = (text: string) => {
  for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
};

describe('SmtpEmailChannel', () => {
  it('sends the escalation email to the recipient, with the right subject and body and no personal data', async () => {
    const sink = await smtpSink();
    const channel = new SmtpEmailChannel({ url: sink.url, from: 'SEND alerts <alerts@send.test>' });
    try {
      const o = outgoing();
      await channel.send(o, manager);
      expect(sink.mails).toHaveLength(1);
      const mail = sink.mails[0];
      expect(mail.to).toEqual(['manager@example.org']);
      expect(mail.from).toBe('alerts@send.test');
      expect(mail.subject).toBe('[SEND] Escalation level 1: SEND-2026-000123 (EHC needs assessment)');
      expect(mail.text).toContain('The family has tried to reach the service 3 times without an answer, since Mon 2 Mar 2026, 10:00 GMT.');
      expect(mail.text).toContain(`/requests/${REQUEST}`);
      expect(mail.raw).toContain(`Message-ID: <${o.deliveryId}@send-alerts>`);
      expectNoPersonalData(mail.raw);
      expectNoPersonalData(mail.text);
    } finally {
      await channel.close();
      await sink.stop();
    }
  });
});

describe('NotifyChannel', () => {
  it('calls POST /v2/notifications/email with a JWT signed by the key, the template and the personalisation', async () => {
    const notify = await httpStandIn(notifyEmailAnswer);
    try {
      const o = outgoing();
      await new NotifyChannel({ apiKey: NOTIFY_API_KEY, baseUrl: notify.url, templateId: NOTIFY_TEMPLATE_ID }).send(o, manager);
      expect(notify.requests).toHaveLength(1);
      const req = notify.requests[0];
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/v2/notifications/email');
      expect(verifyNotifyJwt(req.headers.authorization as string)).toMatchObject({ iss: NOTIFY_SERVICE_ID });
      expect(req.body).toEqual({
        template_id: NOTIFY_TEMPLATE_ID,
        email_address: 'manager@example.org',
        reference: o.deliveryId,
        personalisation: o.message.personalisation,
      });
      expect(req.body.personalisation.subject).toBe(o.message.subject);
      expectNoPersonalData(JSON.stringify(req.body.personalisation));
    } finally {
      await notify.stop();
    }
  });

  it('fails for good on a 400 or 403 (retrying cannot help) and retryably on a 5xx', async () => {
    const notify = await httpStandIn((req) =>
      req.body?.email_address === 'bad@example.org'
        ? { status: 400, body: { status_code: 400, errors: [{ error: 'BadRequestError', message: 'Template not found' }] } }
        : { status: 503, body: {} },
    );
    const channel = new NotifyChannel({ apiKey: NOTIFY_API_KEY, baseUrl: notify.url, templateId: NOTIFY_TEMPLATE_ID });
    try {
      const bad = { ...manager, recipient: { ...manager.recipient!, email: 'bad@example.org' } };
      await expect(channel.send(outgoing(), bad)).rejects.toThrow(PermanentDeliveryError);
      await expect(channel.send(outgoing(), bad)).rejects.toThrow('Notify answered 400 (BadRequestError: Template not found)');
      const down = channel.send(outgoing(), manager);
      await expect(down).rejects.toThrow('Notify answered 503');
      await expect(down).rejects.not.toThrow(PermanentDeliveryError);
    } finally {
      await notify.stop();
    }
  });
});

describe('WebhookChannel', () => {
  const secret = 'a-webhook-secret-of-some-length';

  it('posts signed JSON that the receiver verifies: signature over the raw body, timestamp inside it', async () => {
    const hook = await httpStandIn(() => ({ status: 200 }));
    try {
      const o = outgoing();
      await new WebhookChannel({ url: `${hook.url}/hooks/alerts`, secret, now: () => NOW }).send(o, {
        role: 'team_manager',
        teamId: 'north',
        userIds: ['u1'],
      });
      expect(hook.requests).toHaveLength(1);
      const req = hook.requests[0];
      expect(req.path).toBe('/hooks/alerts');
      expect(req.headers['x-signature']).toBe(signWebhookBody(req.raw, secret));
      expect(req.headers['x-timestamp']).toBe(String(NOW.getTime() / 1000));
      expect(verifyWebhook(req.raw, req.headers, secret, { now: NOW })).toEqual({ ok: true });
      expect(req.body).toMatchObject({
        type: 'send.alert',
        deliveryId: o.deliveryId,
        timestamp: NOW.getTime() / 1000,
        audience: { role: 'team_manager', teamId: 'north' },
        alert: { reference: 'SEND-2026-000123', level: 1, unansweredCount: 3 },
      });
      expect(req.body.text).toContain('Escalation level 1: SEND-2026-000123');
      expectNoPersonalData(req.raw);

      // What a receiver must refuse: a wrong secret, a tampered body, a replay later on.
      expect(verifyWebhook(req.raw, req.headers, 'another-secret-entirely', { now: NOW })).toEqual({ ok: false, reason: 'bad signature' });
      expect(verifyWebhook(req.raw.replace('"level":1', '"level":3'), req.headers, secret, { now: NOW })).toEqual({
        ok: false,
        reason: 'bad signature',
      });
      expect(verifyWebhook(req.raw, { ...req.headers, 'x-timestamp': String(NOW.getTime() / 1000 + 5) }, secret, { now: NOW }).ok).toBe(
        false,
      );
      expect(verifyWebhook(req.raw, req.headers, secret, { now: new Date(NOW.getTime() + 3600_000) })).toEqual({
        ok: false,
        reason: 'timestamp too old or in the future',
      });
    } finally {
      await hook.stop();
    }
  });

  it('throws on a non-2xx answer so the job is retried', async () => {
    const hook = await httpStandIn(() => ({ status: 500 }));
    try {
      await expect(new WebhookChannel({ url: hook.url, secret, now: () => NOW }).send(outgoing(), manager)).rejects.toThrow(
        'Webhook answered 500',
      );
    } finally {
      await hook.stop();
    }
  });
});

describe('InAppChannel', () => {
  let server: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    server = await testRedis();
  });
  afterAll(() => server.stop());

  it('publishes the payload with routing fields on the live alerts channel', async () => {
    const channelName = `test:${uuid()}:alerts:live`;
    const publisher = new Redis(server.url);
    const subscriber = new Redis(server.url);
    try {
      const received: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => received.push(message));
      await subscriber.subscribe(channelName);
      const o = outgoing();
      await new InAppChannel(publisher, channelName).send(o, { role: 'team_manager', teamId: 'north', userIds: ['u1', 'u2'] });
      await until(() => received.length === 1);
      const live = JSON.parse(received[0]);
      expect(live).toMatchObject({
        deliveryId: o.deliveryId,
        kind: 'escalation_raised',
        reference: 'SEND-2026-000123',
        requestId: REQUEST,
        level: 1,
        role: 'team_manager',
        teamId: 'north',
        userIds: ['u1', 'u2'],
        link: `/requests/${REQUEST}`,
      });
      expectNoPersonalData(received[0]);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });

  it('publishes a delivery once, however often it is sent (a dispatch or a job run again)', async () => {
    const channelName = `test:${uuid()}:alerts:live`;
    const publisher = new Redis(server.url);
    const subscriber = new Redis(server.url);
    try {
      const received: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => received.push(message));
      await subscriber.subscribe(channelName);
      const channel = new InAppChannel(publisher, channelName);
      const to = { role: 'team_manager', teamId: 'north', userIds: ['u1'] };
      const first = outgoing();
      await channel.send(first, to);
      await channel.send(first, to);
      await channel.send({ ...first, deliveryId: `${first.deliveryId}-next` }, to);
      await until(() => received.length === 2);
      // The repeat would have arrived before the next delivery: PUBLISH order is kept.
      expect(received.map((m) => JSON.parse(m).deliveryId)).toEqual([first.deliveryId, `${first.deliveryId}-next`]);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });
});
