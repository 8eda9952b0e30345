// `nest build` (compilerOptions.webpack in nest-cli.json) calls this with its default config for the
// app being built. One addition: worker threads run scripts of their own, so each app's bundle folder
// also gets them beside main.js, where threadScript (libs/event-store/src/sqlite/thread-script.ts)
// looks for them at run time: the SQLite event store's writer thread (ADR 0018) in every app, the
// access log's writer thread (ADR 0014) in the api's.
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'sqlite-writer.thread': path.resolve(__dirname, 'libs/event-store/src/sqlite/sqlite-writer.thread.ts'),
    ...(path.resolve(options.entry).startsWith(path.resolve(__dirname, 'apps/api') + path.sep)
      ? { 'access-log-writer.thread': path.resolve(__dirname, 'apps/api/src/access-log/access-log-writer.thread.ts') }
      : {}),
  },
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
