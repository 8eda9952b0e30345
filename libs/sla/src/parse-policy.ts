import { parse as parseYaml } from 'yaml';
import type { core } from 'zod';
import { CATEGORIES, Policy, policySchema } from './policy.schema';
import { PolicyError, PolicyIssue } from './policy-error';

/** "escalation.chain[1].ackWithin" from ["escalation", "chain", 1, "ackWithin"]. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

const shown = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

/** Turns one zod issue into "path: rule" wording a person editing the file can act on. */
function describe(issue: core.$ZodIssue, base: readonly PropertyKey[] = []): PolicyIssue[] {
  const path = [...base, ...issue.path];
  const at = pathText(path);
  const input = (issue as { input?: unknown }).input;
  // Rules whose wording the schema chose itself ("must be a positive integer").
  if (issue.message.startsWith('must ')) return [{ path: at, message: input === undefined ? `is required (${issue.message.replace(/^must be /, '')})` : `${issue.message}, got ${shown(input)}` }];
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return [{ path: at, message: `is required (${issue.expected})` }];
      if (!at) return [{ path: at, message: `policy must be a YAML mapping or JSON object, got ${shown(input)}` }];
      return [{ path: at, message: `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}, got ${shown(input)}` }];
    case 'unrecognized_keys': {
      const isCategories = at === 'sla.categories';
      return issue.keys.map((key) => ({
        path: at,
        message: isCategories ? `unknown category "${key}" (known: ${CATEGORIES.join(', ')})` : `unknown field "${key}"`,
      }));
    }
    case 'invalid_value':
      return [{ path: at, message: `${shown(input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'too_small':
      if (issue.origin === 'array') return [{ path: at, message: `must have at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}, got none` }];
      return [{ path: at, message: `${issue.message}, got ${shown(input)}` }];
    case 'invalid_union': {
      // Report the branch the author evidently meant: the one whose complaints are deepest inside the value.
      const branches = issue.errors.filter((b) => b.length > 0);
      const meant = branches.find((b) => b.every((i) => i.path.length > 0));
      if (meant) return meant.flatMap((i) => describe(i, path));
      return [{ path: at, message: at.endsWith('workingHours') ? `must be "24/7" or hours per weekday like { mon: ["09:00", "17:00"] }, got ${shown(input)}` : `${shown(input)} matches none of the allowed forms` }];
    }
    default:
      return [{ path: at, message: issue.message }];
  }
}

/** Validates an already-parsed policy object (defaults applied). Throws PolicyError naming each bad field. */
export function validatePolicy(obj: unknown, source = 'POLICY_FILE'): Policy {
  if (obj === null || obj === undefined) throw new PolicyError(source, [{ path: '', message: 'policy is empty' }]);
  const result = policySchema.safeParse(obj, { reportInput: true });
  if (!result.success) throw new PolicyError(source, result.error.issues.flatMap((i) => describe(i)));
  return result.data;
}

/** Parses policy text, YAML or JSON (JSON is YAML), and validates it. */
export function parsePolicy(text: string, source = 'POLICY_FILE'): Policy {
  let obj: unknown;
  try {
    obj = parseYaml(text);
  } catch (e) {
    throw new PolicyError(source, [{ path: '', message: `is not valid YAML or JSON: ${(e as Error).message}` }]);
  }
  return validatePolicy(obj, source);
}
