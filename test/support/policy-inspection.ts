import { Stack } from 'aws-cdk-lib';
import { PolicyMeasurement } from '../../src/shared/policy-size';
import { measurePolicies } from '../../src/shared/policy-size-guard';

/** Every IAM-style policy statement in a synthesized template, with where it sits. */
export interface FoundStatement {
  readonly resource: string;
  readonly type: string;
  readonly statement: Record<string, any>;
}

/** Statements of key policies, bucket policies, trust policies, inline and managed policies. */
export function allStatements(template: Record<string, any>): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [logicalId, resource] of Object.entries<any>(template.Resources ?? {})) {
    const p = resource.Properties ?? {};
    const documents = [
      p.KeyPolicy, p.PolicyDocument, p.AssumeRolePolicyDocument,
      ...(p.Policies ?? []).map((inline: any) => inline.PolicyDocument),
    ].filter(Boolean);
    for (const document of documents) {
      for (const statement of document.Statement ?? []) {
        found.push({ resource: logicalId, type: resource.Type, statement });
      }
    }
  }
  return found;
}

/** Actions of an Allow statement that contain a wildcard. */
export function wildcardActions(statement: Record<string, any>): string[] {
  if (statement.Effect !== 'Allow') return [];
  return ([] as string[]).concat(statement.Action ?? []).filter((a) => a.includes('*'));
}

/** The policy measurements of a stack (as the library's guard sees them), by subject substring. */
export function measured(stack: Stack, subjectIncludes: string): PolicyMeasurement {
  const matches = measurePolicies(stack).filter((m) => m.subject.includes(subjectIncludes));
  if (matches.length !== 1) {
    throw new Error(`expected one policy matching '${subjectIncludes}', found: ${matches.map((m) => m.subject).join(', ') || 'none'}`);
  }
  return matches[0];
}

/** Twelve-digit account ids 100000000000, 100000000001, ... */
export function accounts(count: number, start = 100_000_000_000): string[] {
  return Array.from({ length: count }, (_, i) => String(start + i));
}
