import { Token } from 'aws-cdk-lib';
import type { DeploymentAction, IDeploymentKind } from './deployment-kind';
import { LambdaDeployStrategy, lambdaDeployStrategyProblems } from './lambda-deploy-strategy';
import { DeploymentContract } from '../shared/deployment-contract';
import { Problem } from '../shared/validation';

/**
 * Publish the build output as a new version of a Lambda function in each
 * target and shift an alias to it (CodePipeline's Lambda deploy action, V2
 * pipelines), canary, linear or all at once, rolled back to the alias's
 * previous version when a CloudWatch alarm goes off.
 *
 * The whole build output artifact is the function's code (a .zip deployment
 * package). The function and the alias must exist in every target (deployed
 * by the target's own stacks), the alias pointing to a published version: the
 * rollback target. The action has no pre- or post-traffic hooks.
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html
 */
export interface LambdaTrafficShiftProps {
  /**
   * Name of the function in every target; must start with the contract's
   * stack name prefix (the tenant action role may update only those
   * functions). Letters, digits, hyphens and underscores, at most 64.
   */
  readonly functionName: string;
  /** The alias whose traffic moves to the new version, e.g. 'live'. */
  readonly aliasName: string;
  /** How the traffic moves. @default LambdaDeployStrategy.allAtOnce() */
  readonly strategy?: LambdaDeployStrategy;
  /**
   * Names of CloudWatch alarms in each target's account and region: when one
   * goes off during the shift, the alias returns to its previous version.
   *
   * @default - no alarms: the shift completes unless the action fails
   */
  readonly alarmNames?: string[];
}

// Lambda's name patterns (CreateFunction, CreateAlias in the Lambda API reference).
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ALIAS_NAME = /^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/;

/** The `DeploymentKind.lambdaTrafficShift` kind. @internal */
export class LambdaTrafficShift implements IDeploymentKind {
  public readonly actionsPerTarget = 1;
  public readonly requiredParameters: string[] = [];

  constructor(private readonly props: LambdaTrafficShiftProps) {}

  public problems(contract: DeploymentContract, property: string): Problem[] {
    const p = this.props;
    const at = (name: string) => `${property}.${name}`;
    const problems: Problem[] = [];
    if (!Token.isUnresolved(p.functionName)) {
      if (!p.functionName.startsWith(contract.stackNamePrefix)) {
        problems.push({
          property: at('functionName'),
          value: p.functionName,
          reason: `the tenant action role may only update functions whose names start with '${contract.stackNamePrefix}'`,
          fix: `name the function '${contract.stackNamePrefix}${p.functionName}' in the targets, or change the contract's stackNamePrefix`,
        });
      }
      if (!FUNCTION_NAME.test(p.functionName)) {
        problems.push({
          property: at('functionName'),
          value: p.functionName,
          reason: 'not a Lambda function name (letters, digits, hyphens and underscores, at most 64; no ARN, no version or alias)',
          fix: `give the name alone, e.g. '${contract.stackNamePrefix}api'`,
        });
      }
    }
    if (!Token.isUnresolved(p.aliasName) && !ALIAS_NAME.test(p.aliasName)) {
      problems.push({
        property: at('aliasName'),
        value: p.aliasName,
        reason: 'not a Lambda alias name (letters, digits, hyphens and underscores, at most 128, not only digits)',
        fix: "e.g. 'live'",
      });
    }
    if (p.strategy) problems.push(...lambdaDeployStrategyProblems(at('strategy'), p.strategy));
    if (p.alarmNames?.length === 0) {
      problems.push({ property: at('alarmNames'), value: p.alarmNames, reason: 'an empty list watches nothing', fix: 'name at least one alarm, or leave alarmNames out' });
    }
    (p.alarmNames ?? []).forEach((name, i) => {
      if (Token.isUnresolved(name)) return;
      if (name.length === 0 || name.length > 255 || name.includes(',')) {
        problems.push({
          property: `${at('alarmNames')}[${i}]`,
          value: name,
          // The action takes the names as one comma-separated list.
          reason: 'not an alarm name the action can take (1 to 255 characters, no comma: the action reads a comma-separated list)',
          fix: 'give the alarm name as CloudWatch shows it, without commas',
        });
      }
    });
    return problems;
  }

  public bind(): void {
    // Nothing shared: the action runs as the target's action role.
  }

  public renderActions(): DeploymentAction[] {
    const p = this.props;
    return [{
      category: 'Deploy',
      provider: 'Lambda',
      configuration: {
        FunctionName: p.functionName,
        FunctionAlias: p.aliasName,
        DeployStrategy: (p.strategy ?? LambdaDeployStrategy.allAtOnce()).name,
        ...(p.alarmNames && p.alarmNames.length > 0 ? { Alarms: p.alarmNames.join(',') } : {}),
      },
    }];
  }
}
