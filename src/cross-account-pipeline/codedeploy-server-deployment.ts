import { Token } from 'aws-cdk-lib';
import { DeploymentAction, IDeploymentKind } from './deployment-kind';
import { DeploymentContract } from '../shared/deployment-contract';
import { Problem } from '../shared/validation';

/**
 * Deploy the build output in place to the EC2 or on-premises instances of a
 * CodeDeploy deployment group in each target (CodePipeline's `CodeDeploy`
 * deploy action). The build output is the revision: a zip with `appspec.yml`
 * at its root.
 */
export interface CodeDeployServerDeploymentProps {
  /**
   * Name of the CodeDeploy application in every target; must start with the
   * contract's stack name prefix (at most 100 letters, digits, '.', '_' and '-').
   */
  readonly applicationName: string;
  /**
   * Name of the application's deployment group in every target (EC2/on-premises
   * compute platform); must start with the contract's stack name prefix (at
   * most 100 letters, digits, '.', '_' and '-').
   */
  readonly deploymentGroupName: string;
}

/** CodeDeploy names: at most 100 characters; kept to characters that cannot widen or break an IAM ARN. */
const CODEDEPLOY_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The `DeploymentKind.codeDeployServer` kind. @internal */
export class CodeDeployServerDeployment implements IDeploymentKind {
  public readonly actionsPerTarget = 1;
  public readonly requiredParameters: string[] = [];

  constructor(private readonly props: CodeDeployServerDeploymentProps) {}

  public problems(contract: DeploymentContract, property: string): Problem[] {
    return [
      ...codeDeployNameProblems(`${property}.applicationName`, this.props.applicationName, 'applications', contract.stackNamePrefix),
      ...codeDeployNameProblems(`${property}.deploymentGroupName`, this.props.deploymentGroupName, 'deployment groups', contract.stackNamePrefix),
    ];
  }

  public bind(): void {
    // Nothing shared: the action runs as the target's action role.
  }

  public renderActions(): DeploymentAction[] {
    // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeDeploy.html
    return [{
      category: 'Deploy',
      provider: 'CodeDeploy',
      configuration: {
        ApplicationName: this.props.applicationName,
        DeploymentGroupName: this.props.deploymentGroupName,
      },
    }];
  }
}

/**
 * A CodeDeploy application or deployment group name the tenant action role
 * may deploy to (`TenantDeploymentRole`'s `codeDeployServerDeployments` grants
 * names with the contract's prefix only). Pure; shared with the target construct.
 */
export function codeDeployNameProblems(property: string, name: string, what: string, prefix: string): Problem[] {
  if (Token.isUnresolved(name)) return [];
  const problems: Problem[] = [];
  if (!name.startsWith(prefix)) {
    problems.push({
      property,
      value: name,
      reason: `the tenant action role may only deploy to CodeDeploy ${what} whose names start with '${prefix}'`,
      fix: `name it '${prefix}${name}', or change the contract's stackNamePrefix`,
    });
  }
  if (!CODEDEPLOY_NAME.test(name)) {
    problems.push({
      property,
      value: name,
      reason: "a CodeDeploy name holds at most 100 characters, and here only letters, digits, '.', '_' and '-' (it is part of the IAM resource ARNs the action role is granted; '*', '?', '/' and ':' would widen or break them)",
      fix: `e.g. '${prefix}web'`,
    });
  }
  return problems;
}
