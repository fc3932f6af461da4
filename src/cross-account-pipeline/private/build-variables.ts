/**
 * Environment variables of the pipeline's CodeBuild projects, from Secrets
 * Manager, SSM Parameter Store or plain values: one rendering and one set of
 * checks for the build project and the CodeBuild deploy projects.
 *
 * aws-cdk-lib grants the project's role read of exactly the secrets and
 * parameters named here (secretsmanager:GetSecretValue, ssm:GetParameters),
 * so each project's role reads its own variables and nothing else.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.secrets-manager
 */
import { Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { Problem } from '../../shared/validation';

/** The three sources of a project's variables, as the props give them. */
export interface BuildVariables {
  /** Variable name -> secret name or ARN (optionally `:json-key`). */
  readonly secrets?: Record<string, string>;
  /** Variable name -> SSM parameter name. */
  readonly parameters?: Record<string, string>;
  /** Variable name -> plain value. */
  readonly environment?: Record<string, string>;
}

/** Names a project sets itself and a user's variable must not take: exact names and prefixes. */
export interface ReservedVariables {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
  /** Who sets them, for the message. */
  readonly setBy: string;
}

/**
 * CodeBuild sets the CODEBUILD_* variables of every build.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
 */
export const CODEBUILD_RESERVED: ReservedVariables = { names: [], prefixes: ['CODEBUILD_'], setBy: 'CodeBuild' };

/** A shell variable name, as the buildspec's commands will read it. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const SOURCES = ['environment', 'secrets', 'parameters'] as const;

/** The project's `environmentVariables`. */
export function renderBuildVariables(
  variables: BuildVariables, secretNames?: readonly string[],
): Record<string, codebuild.BuildEnvironmentVariable> {
  // `secretNames` keeps only the secrets and parameters named (a pull-request
  // build gets the ones its user chose, and no other); all of them when omitted.
  const typed = (values: Record<string, string> | undefined, type: codebuild.BuildEnvironmentVariableType) =>
    Object.fromEntries(Object.entries(values ?? {})
      .filter(([name]) => type === codebuild.BuildEnvironmentVariableType.PLAINTEXT || !secretNames || secretNames.includes(name))
      .map(([name, value]) => [name, { value, type }]));
  return {
    ...typed(variables.environment, codebuild.BuildEnvironmentVariableType.PLAINTEXT),
    ...typed(variables.secrets, codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER),
    ...typed(variables.parameters, codebuild.BuildEnvironmentVariableType.PARAMETER_STORE),
  };
}

/**
 * Names that are no shell variable, that two sources both set (one would
 * silently win), or that the project sets itself.
 */
export function buildVariableProblems(property: string, variables: BuildVariables, reserved: readonly ReservedVariables[]): Problem[] {
  const problems: Problem[] = [];
  const firstSource = new Map<string, string>();
  for (const source of SOURCES) {
    for (const name of Object.keys(variables[source] ?? {})) {
      const where = `${property}.${source}`;
      if (Token.isUnresolved(name)) continue;
      if (!VARIABLE_NAME.test(name)) {
        problems.push({
          property: where,
          value: name,
          reason: 'not an environment variable name the build commands can read (letters, digits and _, not starting with a digit)',
          fix: "rename it, e.g. 'NPM_TOKEN'",
        });
        continue;
      }
      const clash = reserved.find((r) => r.names.includes(name) || r.prefixes.some((p) => name.startsWith(p)));
      if (clash) {
        problems.push({
          property: where,
          value: name,
          reason: `${clash.setBy} sets ${[...clash.names, ...clash.prefixes.map((p) => `${p}*`)].join(', ')} itself, and would overwrite it or be overwritten`,
          fix: 'choose another name',
        });
      }
      const first = firstSource.get(name);
      if (first) {
        problems.push({
          property: where,
          value: name,
          reason: `also set by ${property}.${first}; the project would keep only one of them`,
          fix: 'set each variable in one place',
        });
      } else {
        firstSource.set(name, source);
      }
    }
  }
  return problems;
}
