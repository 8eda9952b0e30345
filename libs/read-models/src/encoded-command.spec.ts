import fc from 'fast-check';
import { Command } from 'ioredis';
import { encodeCommand, EncodedCommand } from './encoded-command';

/** The bytes ioredis itself writes for a command of string arguments (its string framing, UTF-8 on the socket). */
function ioredisBytes(name: string, args: string[]): Buffer {
  const writable = new Command(name, args, { replyEncoding: 'utf8' }).toWritable({});
  return typeof writable === 'string' ? Buffer.from(writable, 'utf8') : writable;
}

// Any UTF-16 text: ASCII, Latin-1, astral characters (surrogate pairs), lone surrogates, CR/LF and
// the RESP markers themselves inside values.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '£', '\r', '\n', '$', '*', '😀', '\ud800', '\udfff', '"'), maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1_000, maxLength: 5_000 }),
);

describe('encodeCommand', () => {
  it('writes exactly the bytes ioredis writes for the same command, whatever the text', () => {
    fc.assert(
      fc.property(fc.constantFrom('mset', 'rpush', 'set'), fc.array(text, { maxLength: 12 }), (name, args) => {
        expect(encodeCommand(name, args).equals(ioredisBytes(name, args))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('copies ASCII held as two-byte text (a slice of a string with an emoji) as its UTF-8 bytes', () => {
    const ascii = `😀${'{"a":"b"}'.repeat(3)}`.slice(2);
    expect(encodeCommand('rpush', ['k', ascii, `é${ascii}`]).equals(ioredisBytes('rpush', ['k', ascii, `é${ascii}`]))).toBe(true);
  });

  it('frames a command with no argument, and empty arguments', () => {
    expect(encodeCommand('multi', []).toString()).toBe('*1\r\n$5\r\nmulti\r\n');
    expect(encodeCommand('set', ['k', '']).toString()).toBe('*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n');
  });

  it('is what an EncodedCommand writes (its replies, text as ioredis commands give: projector-batch.spec)', () => {
    const command = new EncodedCommand('mset', ['k', 'é']);
    expect(command.toWritable().equals(encodeCommand('mset', ['k', 'é']))).toBe(true);
  });
});
