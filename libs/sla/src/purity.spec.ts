import * as path from 'path';
import { findImpurities, findImpuritiesInSource, formatImpurities } from './testing/purity';

describe('libs/sla is pure', () => {
  it('no file under libs/sla/src imports IO or Nest, reads process.env or reads the clock', () => {
    expect(formatImpurities(findImpurities(__dirname))).toBe('');
  });
});

describe('the purity guard', () => {
  const rules = (source: string) => findImpuritiesInSource('x.ts', source).map((i) => i.rule);

  it.each([
    ["import * as fs from 'fs';", 'imports "fs" (IO or framework)'],
    ["import { readFile } from 'node:fs/promises';", 'imports "node:fs/promises" (IO or framework)'],
    ["import { join } from 'path';", 'imports "path" (IO or framework)'],
    ["import { Injectable } from '@nestjs/common';", 'imports "@nestjs/common" (IO or framework)'],
    ["import Redis from 'ioredis';", 'imports "ioredis" (IO or framework)'],
    ["const Db = require('better-sqlite3');", 'imports "better-sqlite3" (IO or framework)'],
    ["const cp = await import('child_process');", 'imports "child_process" (IO or framework)'],
    ["export { request } from 'http';", 'imports "http" (IO or framework)'],
    ["import net = require('net');", 'imports "net" (IO or framework)'],
    ['const zone = process.env.TZ;', 'reads process.env'],
    ["const zone = process['env'].TZ;", 'reads process.env'],
    ['const t = Date.now();', 'reads the clock (Date.now)'],
    ['const t = new Date();', 'reads the clock (new Date() without arguments)'],
    ['const t = new Date;', 'reads the clock (new Date() without arguments)'],
    ['const s = Date();', 'reads the clock (Date() as a function)'],
  ])('flags %s', (source, rule) => expect(rules(source)).toEqual([rule]));

  it.each([
    "import { DateTime } from 'luxon';",
    "import { z } from 'zod';",
    'const d = new Date(0); const e = new Date(d.getTime());',
    '// Date.now() is forbidden, and so is process.env',
    "const msg = 'never call new Date() or import fs';",
    "import { pathText } from './path-text';",
  ])('allows %s', (source) => expect(rules(source)).toEqual([]));

  it('reports the file and line', () => {
    expect(findImpuritiesInSource('a/b.ts', '\n\nconst t = Date.now();')).toEqual([
      { file: 'a/b.ts', line: 3, rule: 'reads the clock (Date.now)', text: 'Date.now' },
    ]);
  });

  it('skips specs and the testing folder by default (they may read files), and can be told not to', () => {
    const all = findImpurities(__dirname, { skip: (rel) => !rel.startsWith('testing') });
    expect(all.map((i) => i.rule)).toEqual(['imports "fs" (IO or framework)', 'imports "path" (IO or framework)']);
  });
});
