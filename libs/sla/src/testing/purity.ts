// Test-only (never exported from index.ts): a guard that a "pure" library does no IO and reads no clock.
// Reusable: findImpurities('<dir>') for any folder, e.g. libs/domain/src.
// It parses with the TypeScript compiler rather than grepping, so comments and strings don't trip it.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export interface Impurity {
  /** Path relative to the scanned directory. */
  file: string;
  line: number;
  rule: string;
  text: string;
}

export interface PurityOptions {
  /** Module names (exact, or a prefix ending in "/") that must not be imported. */
  forbiddenModules?: readonly string[];
  /** Relative paths to skip; by default specs and this testing/ folder (which must read files). */
  skip?: (relativePath: string) => boolean;
}

export const DEFAULT_FORBIDDEN_MODULES: readonly string[] = [
  'fs', 'fs/promises', 'path', 'os', 'http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns',
  'child_process', 'cluster', 'worker_threads', 'readline',
  '@nestjs/', 'ioredis', 'redis', 'bullmq', 'better-sqlite3', '@kurrent/',
];

const defaultSkip = (rel: string): boolean => /\.spec\.ts$|\.d\.ts$/.test(rel) || rel.split(/[\\/]/).includes('testing');

function isForbidden(specifier: string, forbidden: readonly string[]): boolean {
  const name = specifier.replace(/^node:/, '');
  return forbidden.some((f) => (f.endsWith('/') ? name.startsWith(f) : name === f || name.startsWith(`${f}/`)));
}

/** Impurities in one source text (exposed so the guard itself can be tested without files). */
export function findImpuritiesInSource(file: string, source: string, options: PurityOptions = {}): Impurity[] {
  const forbidden = options.forbiddenModules ?? DEFAULT_FORBIDDEN_MODULES;
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Impurity[] = [];
  const report = (node: ts.Node, rule: string) =>
    found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, rule, text: node.getText(sf).slice(0, 120) });
  const checkModule = (node: ts.Node, spec: ts.Expression | undefined) => {
    if (spec && ts.isStringLiteralLike(spec) && isForbidden(spec.text, forbidden)) report(node, `imports "${spec.text}" (IO or framework)`);
  };
  const isIdent = (e: ts.Expression, name: string) => ts.isIdentifier(e) && e.text === name;
  const propName = (e: ts.Node): string | undefined =>
    ts.isPropertyAccessExpression(e) ? e.name.text
    : ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression) ? e.argumentExpression.text
    : undefined;
  const objectOf = (e: ts.PropertyAccessExpression | ts.ElementAccessExpression) => e.expression;

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) checkModule(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) checkModule(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node) && (isIdent(node.expression, 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) checkModule(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) checkModule(node, node.argument.literal as ts.Expression);

    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) && propName(node)) {
      const obj = objectOf(node);
      const prop = propName(node);
      if (isIdent(obj, 'process') && prop === 'env') report(node, 'reads process.env');
      if (isIdent(obj, 'Date') && prop === 'now') report(node, 'reads the clock (Date.now)');
      if (isIdent(obj, 'performance') && prop === 'now') report(node, 'reads the clock (performance.now)');
    }
    // new Date() / new Date with no arguments is "now"; so is calling Date() as a function.
    if (ts.isNewExpression(node) && isIdent(node.expression, 'Date') && !node.arguments?.length) report(node, 'reads the clock (new Date() without arguments)');
    if (ts.isCallExpression(node) && isIdent(node.expression, 'Date')) report(node, 'reads the clock (Date() as a function)');
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Impurities in every .ts file under `dir` (recursively), excluding specs and testing/ by default. */
export function findImpurities(dir: string, options: PurityOptions = {}): Impurity[] {
  const skip = options.skip ?? defaultSkip;
  const files = (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((rel) => rel.endsWith('.ts') && !skip(rel))
    .sort();
  if (files.length === 0) throw new Error(`purity guard: no .ts files found under ${dir}`);
  return files.flatMap((rel) => findImpuritiesInSource(rel, fs.readFileSync(path.join(dir, rel), 'utf8'), options));
}

/** One line per impurity, for a failing assertion that says what to fix. */
export const formatImpurities = (found: readonly Impurity[]): string =>
  found.map((i) => `${i.file}:${i.line}: ${i.rule}: ${i.text}`).join('\n');
