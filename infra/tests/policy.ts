/**
 * A small IAM evaluator for the templates' identity policies: which actions a role's
 * statements grant, and whether they allow an action on a concrete resource ARN. Enough
 * for Allow statements with exact actions and ARN patterns (`*`, `?`), which is all the
 * templates use (the tests check that too).
 */

export interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

interface RoleProperties {
  readonly AssumeRolePolicyDocument?: { readonly Statement: readonly Statement[] };
  readonly Policies?: readonly {
    readonly PolicyDocument: { readonly Statement: readonly Statement[] };
  }[];
  readonly ManagedPolicyArns?: readonly unknown[];
}

const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value as T];

/** The statements of a role's inline policies (evaluated properties of an `AWS::IAM::Role`). */
export function permissionStatements(role: unknown): Statement[] {
  return list((role as RoleProperties).Policies).flatMap((policy) => [
    ...policy.PolicyDocument.Statement,
  ]);
}

/** The statements of a role's trust policy. */
export function trustStatements(role: unknown): Statement[] {
  return [...((role as RoleProperties).AssumeRolePolicyDocument?.Statement ?? [])];
}

/** Every action the statements name. */
export function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((statement) => list(statement.Action)))].sort();
}

/** Whether an Allow statement grants `action` on `resource` (an ARN). */
export function allows(
  statements: readonly Statement[],
  action: string,
  resource: string,
): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      list(statement.Action).includes(action) &&
      list(statement.Resource).some((pattern) => arnMatches(pattern, resource)),
  );
}

/** IAM's ARN matching: `*` is any run of characters (`/` included), `?` any one character. */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Every policy statement anywhere in `value` (identity, trust and resource policies). */
export function allStatements(value: unknown): Statement[] {
  if (Array.isArray(value)) return value.flatMap(allStatements);
  if (typeof value !== 'object' || value === null) return [];
  const found: Statement[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (key === 'Statement' && Array.isArray(item)) found.push(...(item as Statement[]));
    else found.push(...allStatements(item));
  }
  return found;
}
