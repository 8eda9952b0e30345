/*
 * `npm run openapi`: writes the API's OpenAPI document to docs/openapi.json (or the path given), for
 * client generators and review. Needs no running Redis or event store.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '@send/platform';
import { previewOpenApiDocument } from '../apps/api/src/openapi-document';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs/openapi.json');
  const document = await previewOpenApiDocument(loadConfig());
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  const operations = Object.values(document.paths).reduce((n, path) => n + Object.keys(path).length, 0);
  console.log(
    `OpenAPI ${document.openapi}: ${operations} operations, ${Object.keys(document.components?.schemas ?? {}).length} schemas -> ${out}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
