/**
 * Finds the strings of a CloudFormation template that CloudFormation would
 * read as a parameter reference outside `Fn::Sub`: a `${` anywhere but in the
 * template string of an `Fn::Sub`. aws-cdk-lib's default validation rules
 * report them as E1029 (an error with `@aws-cdk/core:validateAgainstDefaultRules`,
 * which `cdk init` turns on), so a construct must never render one.
 * EC2 user data is exempt, as it is from E1029: it is a script for the
 * instance, which CloudFormation passes on untouched (aws-cdk-lib 2.276
 * synthesizes the BlueGreenEfsDeploy boot script's `${VAR%/}` with the rule on).
 * Pure and test-only.
 */

/** One offending string: where it is (`Resources.X.Properties...`) and the `${...}` it holds. */
export interface EmbeddedParameter {
  readonly path: string;
  readonly parameters: string[];
}

const EMBEDDED = /\$\{[^}]*\}?/g;

/** Every string of `template` outside an Fn::Sub template string that holds a `${`. */
export function embeddedParameters(template: unknown): EmbeddedParameter[] {
  const found: EmbeddedParameter[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (value.includes('${')) found.push({ path, parameters: value.match(EMBEDDED) ?? [] });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}.${i}`));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === 'Fn::Sub') {
      // Fn::Sub: "template" or [ "template", { Name: value } ]. The template may
      // hold ${Name}; the values are ordinary strings again.
      const sub = entries[0][1];
      if (Array.isArray(sub)) visit(sub[1], `${path}.Fn::Sub.1`);
      return;
    }
    for (const [key, child] of entries) {
      if (key !== 'UserData') visit(child, path ? `${path}.${key}` : key);
    }
  };
  visit(template, '');
  return found;
}
