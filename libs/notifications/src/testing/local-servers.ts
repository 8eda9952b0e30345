/** Local stand-ins for the outside world, on 127.0.0.1 and a random port, for specs only. */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The decoded text/plain part. */
  text: string;
}

/** An SMTP server that accepts everything and keeps it. */
export async function smtpSink(): Promise<{ url: string; mails: ReceivedMail[]; stop(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: header(raw, 'subject'),
          text: textPart(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

/** The text/plain part, quoted-printable or base64 decoded (enough for nodemailer's output). */
function textPart(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  const part = parts.find((p) => /content-type:\s*text\/plain/i.test(p)) ?? raw;
  const [head, ...rest] = part.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n').replace(/\r?\n--[^\r\n]*--\s*$/, '');
  if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n');
  }
  return body.replace(/\r\n/g, '\n');
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: any;
}

/** An HTTP server that records requests and answers with `respond` (default 201 {}). */
export async function httpStandIn(
  respond: (req: ReceivedRequest) => { status: number; body?: unknown } = () => ({ status: 201, body: {} }),
): Promise<{ url: string; requests: ReceivedRequest[]; stop(): Promise<void> }> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body };
      requests.push(received);
      const answer = respond(received);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Notify API key: <name>-<service id>-<secret key>, as Notify issues them. */
export const NOTIFY_SERVICE_ID = '26785a09-ab16-4eb0-8407-a37497a57506';
export const NOTIFY_SECRET = '3d844edf-8d35-48ac-975b-e847b4f122b0';
export const NOTIFY_API_KEY = `test_key-${NOTIFY_SERVICE_ID}-${NOTIFY_SECRET}`;
export const NOTIFY_TEMPLATE_ID = 'f33517ff-2a88-4f6e-b855-c550268ce08a';

/** Checks a Notify bearer token as Notify does: HS256 with the key's secret, iss = service id. */
export function verifyNotifyJwt(authorization: string | undefined): { iss: string; iat: number } | null {
  const token = authorization?.replace(/^Bearer /, '');
  if (!token) return null;
  const [head, payload, signature] = token.split('.');
  const expected = createHmac('sha256', NOTIFY_SECRET).update(`${head}.${payload}`).digest('base64url');
  if (signature !== expected) return null;
  const header = JSON.parse(Buffer.from(head, 'base64url').toString());
  if (header.alg !== 'HS256') return null;
  return JSON.parse(Buffer.from(payload, 'base64url').toString());
}

/** Notify's answer to POST /v2/notifications/email (abridged). */
export function notifyEmailAnswer(req: ReceivedRequest) {
  if (!verifyNotifyJwt(req.headers.authorization as string | undefined)) {
    return {
      status: 403,
      body: { status_code: 403, errors: [{ error: 'AuthError', message: 'Invalid token: signature, api token not found' }] },
    };
  }
  return {
    status: 201,
    body: {
      id: '740e5834-3a29-46b4-9a6f-16142fde533a',
      reference: req.body?.reference ?? null,
      content: {
        subject: req.body?.personalisation?.subject,
        body: req.body?.personalisation?.body,
        from_email: 'send@notifications.service.gov.uk',
      },
      uri: 'https://api.notifications.service.gov.uk/v2/notifications/740e5834-3a29-46b4-9a6f-16142fde533a',
      template: { id: req.body?.template_id, version: 1, uri: '' },
    },
  };
}
