// `nest build` (compilerOptions.webpack in nest-cli.json) calls this with its default config for the
// app being built. One addition: the SQLite event store's writer thread (ADR 0018) runs its own
// script, so each app's bundle folder also gets sqlite-writer.thread.js beside main.js, where the
// store looks for it at run time (libs/event-store/src/sqlite/sqlite-writer.ts).
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'sqlite-writer.thread': path.resolve(__dirname, 'libs/event-store/src/sqlite/sqlite-writer.thread.ts'),
  },
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
