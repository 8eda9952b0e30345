export interface PolicyIssue {
  /** Field path, e.g. "escalation.chain[1].ackWithin" ("" for the whole document). */
  readonly path: string;
  readonly message: string;
}

/** A policy that cannot be used. The message names the source, each field path and the rule broken. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly source: string,
    readonly issues: readonly PolicyIssue[],
  ) {
    super(issues.map((i) => `${source}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'));
  }
}
