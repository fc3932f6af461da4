/**
 * Conditions that admit the tenant roles of a deployment contract into a
 * resource policy without naming any role: the principal is `*`, narrowed to
 * role ARNs by pattern and to the organization (constant size) or to a list
 * of accounts (one account id per target). Pure; no CDK imports.
 */

/** Who may read: the organization (optionally some OUs of it) and/or a list of accounts. */
export interface ReaderScope {
  readonly organizationId?: string;
  readonly organizationalUnitPaths: readonly string[];
  readonly accounts: readonly string[];
}

export type PolicyConditions = Record<string, Record<string, string | string[]>>;

/**
 * @param principalArnPatterns role ARN patterns (account part `*`) the principal must match
 */
export function readerConditions(scope: ReaderScope, principalArnPatterns: readonly string[]): PolicyConditions {
  const conditions: PolicyConditions = {
    ArnLike: { 'aws:PrincipalArn': [...principalArnPatterns] },
  };
  if (scope.organizationId) {
    conditions.StringEquals = { 'aws:PrincipalOrgID': scope.organizationId };
  }
  if (scope.organizationalUnitPaths.length > 0) {
    // The path of an OU covers the OUs below it, as the organization console shows them.
    conditions['ForAnyValue:StringLike'] = {
      'aws:PrincipalOrgPaths': scope.organizationalUnitPaths.map((p) => `${p}*`),
    };
  }
  if (scope.accounts.length > 0) {
    conditions.StringEquals = { ...(conditions.StringEquals ?? {}), 'aws:PrincipalAccount': [...scope.accounts] };
  }
  return conditions;
}

/** True when the scope admits nobody: no organization and no account. */
export function isEmptyReaderScope(scope: ReaderScope): boolean {
  return !scope.organizationId && scope.accounts.length === 0;
}
