import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { grantEcsServiceDeployments } from './private/ecs-service-deployments';
import { grantLambdaDeployments } from './private/lambda-deployments';
import {
  cdkCliStatements, containerImageStatements, PresetScope, PresetStatements, samApplicationStatements,
  serverlessFrameworkStatements, StatementSpec,
} from './private/permission-presets';
import { grantStackSetAdministration } from './private/stack-set-administration';
import type { EcsServiceDeploymentPermissions, StackSetAdministrationPermissions } from './tenant-deployment-role';
import { DeploymentContract } from '../shared/deployment-contract';
import { anyPartition, suppressOnDefaultPolicy } from '../shared/nag-suppressions';

/**
 * The roles a preset grants to.
 *
 * @internal
 */
export interface PresetTarget {
  readonly contract: DeploymentContract;
  readonly actionRole: iam.Role;
  readonly executionRole: iam.Role;
}

/**
 * What a deployment tool or pipeline action needs in a target account, as a
 * preset for `TenantDeploymentRole`'s `permissions`. Each preset knows which
 * role gets what: the action role (what the tool or CodePipeline action
 * calls) or the execution role (what CloudFormation creates for the stacks).
 * Resources are limited to names that start with the contract's stack name
 * prefix, in every region of the account; no preset grants a wildcard action.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { DeploymentContract, DeploymentPermissions, TenantDeploymentRole } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', qualifier: 'shop' });
 * const tenant = new Stack(app, 'TenantRoles', { env: { account: '333333333333', region: 'us-east-1' } });
 * new TenantDeploymentRole(tenant, 'DeploymentRoles', {
 *   contract,
 *   permissions: [DeploymentPermissions.samApplicationWithCodeDeploy(), DeploymentPermissions.lambdaUpdate()],
 * });
 * app.synth();
 */
export class DeploymentPermissions {
  /**
   * A SAM application whose functions shift traffic with CodeDeploy
   * (`AutoPublishAlias` and `DeploymentPreference`). Action role:
   * `cloudformation:CreateChangeSet` on the `AWS::Serverless-2016-10-31`
   * transform. Execution role: Lambda functions, versions, aliases and
   * permissions; IAM roles (attaching only SAM's AWS managed policies or the
   * prefix's own) and passing them to Lambda and CodeDeploy only; the
   * CodeDeploy application, deployment groups, deployments and deployment
   * configurations; CloudWatch alarms; log groups. All named with the prefix.
   * No API Gateway: REST API ids are random, so its permissions could not be
   * limited to the application's APIs; add them with `executionRoleStatements`.
   */
  public static samApplicationWithCodeDeploy(): DeploymentPermissions {
    return DeploymentPermissions.ofStatements('samApplicationWithCodeDeploy', samApplicationStatements,
      'SAM resources named with the contract\'s prefix, in any region of this account; the SAM transform of every region; DescribeLogGroups lists the account\'s log groups.');
  }

  /**
   * `serverless deploy` (Serverless Framework) as the action role, with the
   * execution role as `provider.iam.deploymentRole`. Action role: template
   * validation, the stack's resources, and the objects of its deployment
   * bucket. Execution role: creating and configuring that bucket (the stack
   * names it). The functions and other resources of the service are yours to
   * grant (for example with `samApplicationWithCodeDeploy()` or
   * `executionRoleStatements`).
   */
  public static serverlessFramework(): DeploymentPermissions {
    return DeploymentPermissions.ofStatements('serverlessFramework', serverlessFrameworkStatements,
      'Stacks and deployment buckets named with the contract\'s prefix (buckets of this account only); cloudformation:ValidateTemplate supports no resource-level permissions.');
  }

  /**
   * `cdk deploy`, `cdk diff` and `cdk destroy` as the action role, through
   * the execution role and without bootstrap (a synthesizer that names the
   * contract's roles and artifact store and generates no bootstrap version
   * rule). Action role: the stack calls of the CLI beyond the pipeline's
   * (DescribeStackResource, ListStackResources, UpdateTerminationProtection)
   * and template checks (ValidateTemplate, GetTemplateSummary).
   */
  public static cdkCli(): DeploymentPermissions {
    return DeploymentPermissions.ofStatements('cdkCli', cdkCliStatements,
      'Stacks named with the contract\'s prefix; ValidateTemplate and GetTemplateSummary of a template name no stack.');
  }

  /**
   * Let the execution role read the images of the contract's repositories
   * (`ContainerRegistry` in the tooling account, every region): Lambda
   * requires the role that creates or updates a function from an image of
   * another account to be allowed `ecr:BatchGetImage` and
   * `ecr:GetDownloadUrlForLayer` itself. Give it to tenants whose stacks
   * create Lambda functions from the contract's images.
   */
  public static containerImages(): DeploymentPermissions {
    return DeploymentPermissions.ofStatements('containerImages', containerImageStatements,
      'The contract\'s container repositories (cdkx-<qualifier>/*) in the tooling account, every region, read only.');
  }

  /**
   * Roll new code out to existing Lambda functions named with the prefix, as
   * the action role: update the code, publish a version, move an alias
   * (`aws lambda update-function-code`, `publish-version`, `update-alias`, and
   * CodePipeline's Lambda deploy action), reading the account's alarms that
   * roll a shift back. The same grant as the `lambdaDeployments` prop.
   */
  public static lambdaUpdate(): DeploymentPermissions {
    return new DeploymentPermissions('lambdaUpdate', (target) => grantLambdaDeployments(target.actionRole, target.contract));
  }

  /**
   * CodePipeline's ECS standard deploy action, as the action role (the same
   * grant as `ecsServiceDeployments`): update the services of one cluster,
   * register task definitions (tagging them on registration), follow the
   * service's tasks, and pass the task roles to ECS tasks only.
   */
  public static ecsService(options: EcsServiceDeploymentPermissions): DeploymentPermissions {
    const preset = new DeploymentPermissions('ecsService', (target) => grantEcsServiceDeployments(target.actionRole, options));
    preset._ecsOptions = options;
    return preset;
  }

  /**
   * StackSet administration of the contract's StackSets, as the action role
   * (the same grant as `stackSetAdministration`).
   */
  public static stackSetAdministration(options: StackSetAdministrationPermissions = {}): DeploymentPermissions {
    const preset = new DeploymentPermissions('stackSetAdministration',
      (target) => grantStackSetAdministration(target.actionRole, target.contract, options));
    preset._stackSetOptions = options;
    return preset;
  }

  private static ofStatements(presetName: string, build: (scope: PresetScope) => PresetStatements, reason: string): DeploymentPermissions {
    return new DeploymentPermissions(presetName, (target) => {
      const images = (partition: string) =>
        `arn:${partition}:ecr:*:${target.contract.toolingAccount}:repository/${target.contract.containerRepositoryName('*')}`;
      const statements = build({
        prefix: target.contract.stackNamePrefix, partition: Aws.PARTITION, account: Aws.ACCOUNT_ID, region: '*', imageRepositories: images(Aws.PARTITION),
      });
      // The same statements as cdk-nag prints them, for the suppressions of their resource patterns.
      const findings = build({
        prefix: target.contract.stackNamePrefix, partition: '<AWS::Partition>', account: '<AWS::AccountId>', region: '*', imageRepositories: images('<AWS::Partition>'),
      });
      render(target.actionRole, statements.actionRole, findings.actionRole, reason);
      render(target.executionRole, statements.executionRole, findings.executionRole, reason);
    });
  }

  /** The name of the preset, e.g. 'cdkCli'. */
  public readonly presetName: string;

  /**
   * The options of `ecsService()`, validated like `ecsServiceDeployments`.
   *
   * @internal
   */
  public _ecsOptions?: EcsServiceDeploymentPermissions;

  /**
   * The options of `stackSetAdministration()`, validated like the opt-in.
   *
   * @internal
   */
  public _stackSetOptions?: StackSetAdministrationPermissions;

  private constructor(presetName: string, private readonly grant: (target: PresetTarget) => void) {
    this.presetName = presetName;
  }

  /**
   * Grant the preset to the roles of `target`.
   *
   * @internal
   */
  public _grant(target: PresetTarget): void {
    this.grant(target);
  }
}

/** Adds the statements to `role`, with one reasoned suppression for the wildcard resources among them. */
function render(role: iam.Role, statements: StatementSpec[], findings: StatementSpec[], reason: string): void {
  for (const statement of statements) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: statement.sid, actions: statement.actions, resources: statement.resources, conditions: statement.conditions,
    }));
  }
  const wildcards = [...new Set(findings.flatMap((s) => s.resources).filter((r) => r.includes('*')))];
  if (wildcards.length === 0) return;
  suppressOnDefaultPolicy(role, [{
    id: 'AwsSolutions-IAM5',
    reason,
    appliesTo: wildcards.map((resource) => anyPartition(`Resource::${resource}`)),
  }]);
}
