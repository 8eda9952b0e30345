import { Command, type ChainableCommander, type Pipeline } from 'ioredis';

/**
 * A Redis command whose wire bytes (RESP) are written once, straight into one Buffer: the same bytes
 * ioredis sends for `name` with these arguments. ioredis frames each string argument as a new
 * string (`"$" + byteLength + "\r\n" + arg + "\r\n"`), joins a pipeline's commands into one string,
 * and the socket write flattens that and encodes it to UTF-8 again. For the projector's MULTI, ~1 KB
 * of JSON an event in a catch-up and ~3.4 KB an attempt live, that copying was the largest single
 * cost of its Redis writes (ADR 0025); measured apart, a 37-event MSET of records, queue entries and
 * dashboard rows cost the client half the CPU this way. The bytes are sent as given: no `keyPrefix`
 * is applied (no connection of the apps has one).
 */
export class EncodedCommand extends Command {
  private readonly encoded: Buffer;

  constructor(name: string, args: readonly string[]) {
    // utf8 replies, as ioredis's own command methods ask for (the default would be a Buffer).
    super(name, [], { replyEncoding: 'utf8' });
    this.encoded = encodeCommand(name, args);
  }

  override toWritable(): Buffer {
    return this.encoded;
  }
}

/** RESP of `name` and `args` (an array of bulk strings), UTF-8, as ioredis writes a string argument. */
export function encodeCommand(name: string, args: readonly string[]): Buffer {
  const head = `*${args.length + 1}\r\n$${Buffer.byteLength(name)}\r\n${name}\r\n`;
  const lengths = new Array<number>(args.length);
  let size = Buffer.byteLength(head);
  for (let i = 0; i < args.length; i++) {
    const length = Buffer.byteLength(args[i]);
    lengths[i] = length;
    size += length + String(length).length + 5; // $<length>\r\n<arg>\r\n
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0);
  for (let i = 0; i < args.length; i++) {
    at += out.write(`$${lengths[i]}\r\n`, at, 'latin1');
    // As many bytes as characters: all ASCII, whose latin1 bytes are its UTF-8 bytes, copied
    // without the UTF-8 encoder (most read-model JSON).
    at += out.write(args[i], at, lengths[i] === args[i].length ? 'latin1' : 'utf8');
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  if (at !== size) throw new Error(`encodeCommand: wrote ${at} bytes of ${size}`);
  return out;
}

/** Queues `name args` on a MULTI or pipeline, encoded once (EncodedCommand). */
export function queueEncoded(tx: ChainableCommander, name: string, args: readonly string[]): void {
  // ioredis's Pipeline has sendCommand (its own command methods go through it); its
  // ChainableCommander type does not name it.
  (tx as unknown as Pick<Pipeline, 'sendCommand'>).sendCommand(new EncodedCommand(name, args));
}
