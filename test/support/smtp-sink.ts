import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

export interface SmtpSink {
  url: string;
  /** The messages accepted (answered 250), in order. */
  mails: ReceivedMail[];
  /**
   * From now on, each message is received but not yet answered: its sender is mid-send, holding a
   * message the sink has not accepted. A test kills a sender at that moment to know for sure that
   * no email was accepted without the sender hearing it (that one a sender would rightly send again).
   */
  hold(): void;
  /** Messages received and waiting for their answer. */
  readonly held: ReceivedMail[];
  /** Held messages whose sender hung up (e.g. was killed) before the answer: never accepted, as a real server would not. */
  readonly dropped: number;
  /** Accepts the held messages whose senders are still there, and answers the next ones at once again. */
  release(): void;
  stop(): Promise<void>;
}

/** A local SMTP server that accepts every message and keeps it, for tests of email delivery. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  let holding = false;
  let dropped = 0;
  const waiting: Array<{ sessionId: string; mail: ReceivedMail; accept: () => void }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        const mail = { to: session.envelope.rcptTo.map((r) => r.address), raw };
        const accept = () => {
          mails.push(mail);
          callback();
        };
        if (holding) waiting.push({ sessionId: session.id, mail, accept });
        else accept();
      });
    },
    onClose(session) {
      for (let i = waiting.length - 1; i >= 0; i--) {
        if (waiting[i].sessionId !== session.id) continue;
        waiting.splice(i, 1);
        dropped += 1;
      }
    },
  });
  // A client that dies mid-connection (a worker killed by a test) resets its socket: smtp-server
  // emits that as 'error', which with no listener would crash the test file.
  server.on('error', () => undefined);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    hold: () => void (holding = true),
    get held() {
      return waiting.map((w) => w.mail);
    },
    get dropped() {
      return dropped;
    },
    release() {
      holding = false;
      for (const { accept } of waiting.splice(0)) accept();
    },
    stop: () => new Promise<void>((res) => server.close(() => res())),
  };
}
