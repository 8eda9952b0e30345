// The HTTP benchmark's baseline: a bare Fastify server on this machine, in a process of its own, that
// parses a JSON POST and answers 201 with a small JSON body (roughly what the api's attempt answer
// costs to serialise, without auth, validation, the event store or Redis). Prints {"port":N} once
// listening; stops on SIGTERM/SIGINT.
'use strict';
const fastify = require('fastify')({ logger: false });

fastify.post('/hello', async (request, reply) => {
  const body = request.body || {};
  reply.code(201);
  return { hello: 'world', channel: body.channel ?? null, at: new Date().toISOString() };
});
fastify.get('/hello', async () => ({ hello: 'world' }));

fastify.listen({ port: 0, host: '127.0.0.1' }).then(
  () => process.stdout.write(`${JSON.stringify({ port: fastify.server.address().port })}\n`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => fastify.close().then(() => process.exit(0)));
