/**
 * Pure: the statements of each permission preset of TenantDeploymentRole, as
 * plain data, for the action role and for the execution role. Functions of
 * the contract's stack name prefix and the partition, account and region
 * (literals or tokens); no constructs.
 *
 * Resources are scoped to names that start with the prefix wherever the
 * service supports resource-level permissions: CloudFormation names what a
 * stack creates after the stack (`<stack>-<LogicalId>-<suffix>`), and the
 * contract's stacks start with the prefix. Where a service does not support
 * them, the statement says so, citing the Service Authorization Reference.
 */

import { transformChangeSetStatement } from './transform-permissions';
import { CloudFormationTransform } from '../../cross-account-pipeline/cloudformation-transform';

/** Where the statements apply. */
export interface PresetScope {
  /** The contract's stack name prefix, e.g. 'main-'. */
  readonly prefix: string;
  readonly partition: string;
  readonly account: string;
  /** A region, or '*' (the roles serve every region of the account). */
  readonly region: string;
  /** The contract's container repositories in the tooling account, as an ARN pattern. */
  readonly imageRepositories: string;
}

/** One IAM statement (Allow), as data. */
export interface StatementSpec {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, string | string[]>>;
}

/** What a preset grants to each of the two roles. */
export interface PresetStatements {
  readonly actionRole: StatementSpec[];
  readonly executionRole: StatementSpec[];
}

/** The SAM transform: its change sets are authorized on it too (REFERENCE.md "Shipping applications"). */
export const SAM_TRANSFORM = CloudFormationTransform.SERVERLESS.name;

const arn = (s: PresetScope, service: string, resource: string, account = s.account) =>
  `arn:${s.partition}:${service}:${s.region}:${account}:${resource}`;
const stacks = (s: PresetScope) => arn(s, 'cloudformation', `stack/${s.prefix}*/*`);
const functions = (s: PresetScope) => arn(s, 'lambda', `function:${s.prefix}*`);
const roles = (s: PresetScope) => `arn:${s.partition}:iam::${s.account}:role/${s.prefix}*`;

/**
 * `samApplicationWithCodeDeploy()`: the pipeline creates change sets of SAM
 * templates, and CloudFormation, as the execution role, creates what SAM
 * generates for functions with `AutoPublishAlias` and `DeploymentPreference`:
 * the functions, versions, aliases and permissions, their roles, the
 * CodeDeploy application and deployment groups that shift traffic, the
 * alarms that stop it, and log groups.
 */
export function samApplicationStatements(s: PresetScope): PresetStatements {
  const codedeploy = (resource: string) => arn(s, 'codedeploy', resource);
  const deploymentConfigs = [codedeploy('deploymentconfig:CodeDeployDefault.Lambda*'), codedeploy(`deploymentconfig:${s.prefix}*`)];
  return {
    actionRole: [{ sid: 'CreateChangeSetsOfSamTemplates', ...transformChangeSetStatement([SAM_TRANSFORM], s.partition, s.region) }],
    executionRole: [
      {
        sid: 'SamFunctions',
        actions: [
          'lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:ListTags', 'lambda:TagResource',
          'lambda:UntagResource', 'lambda:PublishVersion', 'lambda:ListVersionsByFunction', 'lambda:CreateAlias',
          'lambda:UpdateAlias', 'lambda:DeleteAlias', 'lambda:GetAlias', 'lambda:AddPermission',
          'lambda:RemovePermission', 'lambda:GetPolicy', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency',
          // What CloudFormation's AWS::Lambda::Function handler reads back after creating or updating a function.
          'lambda:GetFunctionCodeSigningConfig', 'lambda:GetRuntimeManagementConfig', 'lambda:GetFunctionRecursionConfig',
          'lambda:GetFunctionConcurrency',
        ],
        resources: [functions(s)],
      },
      {
        sid: 'SamFunctionRoles',
        actions: [
          'iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:TagRole', 'iam:UntagRole', 'iam:UpdateAssumeRolePolicy',
          'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies',
        ],
        resources: [roles(s)],
      },
      {
        // SAM attaches AWSLambdaBasicExecutionRole (AWSLambdaVPCAccessExecutionRole
        // in a VPC) to function roles, and AWSCodeDeployRoleForLambda to the
        // CodeDeploy role; other managed policies only of the prefix.
        sid: 'AttachSamManagedPolicies',
        actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        resources: [roles(s)],
        conditions: {
          ArnLike: {
            'iam:PolicyARN': [
              `arn:${s.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
              `arn:${s.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
              `arn:${s.partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda*`,
              `arn:${s.partition}:iam::${s.account}:policy/${s.prefix}*`,
            ],
          },
        },
      },
      {
        sid: 'PassSamRolesToLambdaAndCodeDeploy',
        actions: ['iam:PassRole'],
        resources: [roles(s)],
        conditions: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codedeploy.amazonaws.com'] } },
      },
      {
        // Traffic shifting: CloudFormation updates the alias through a
        // CodeDeploy deployment of the function's deployment group.
        sid: 'SamCodeDeployApplications',
        actions: [
          'codedeploy:CreateApplication', 'codedeploy:DeleteApplication', 'codedeploy:GetApplication',
          'codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision',
          'codedeploy:TagResource', 'codedeploy:UntagResource',
        ],
        resources: [codedeploy(`application:${s.prefix}*`)],
      },
      {
        sid: 'SamCodeDeployDeploymentGroups',
        actions: [
          'codedeploy:CreateDeploymentGroup', 'codedeploy:UpdateDeploymentGroup', 'codedeploy:DeleteDeploymentGroup',
          'codedeploy:GetDeploymentGroup', 'codedeploy:CreateDeployment', 'codedeploy:GetDeployment',
          'codedeploy:StopDeployment', 'codedeploy:TagResource', 'codedeploy:UntagResource',
        ],
        resources: [codedeploy(`deploymentgroup:${s.prefix}*/*`)],
      },
      {
        // The predefined Lambda configurations, and the stacks' own.
        sid: 'SamCodeDeployConfigs',
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: deploymentConfigs,
      },
      {
        sid: 'SamCustomCodeDeployConfigs',
        actions: ['codedeploy:CreateDeploymentConfig', 'codedeploy:DeleteDeploymentConfig'],
        resources: [codedeploy(`deploymentconfig:${s.prefix}*`)],
      },
      {
        sid: 'SamDeploymentAlarms',
        actions: [
          'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms',
          'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource',
        ],
        resources: [arn(s, 'cloudwatch', `alarm:${s.prefix}*`)],
      },
      {
        sid: 'SamFunctionLogGroups',
        actions: [
          'logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy',
          'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource',
        ],
        resources: [arn(s, 'logs', `log-group:/aws/lambda/${s.prefix}*`), arn(s, 'logs', `log-group:${s.prefix}*`)],
      },
      {
        // DescribeLogGroups is authorized on the account's log groups, not on one
        // (Service Authorization Reference, CloudWatch Logs); it lists names only.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
        sid: 'DescribeLogGroups',
        actions: ['logs:DescribeLogGroups'],
        resources: [arn(s, 'logs', 'log-group:*')],
      },
    ],
  };
}

/** Stack calls of deploy CLIs beyond the pipeline's (GetTemplate, DescribeStacks... are granted to every action role). */
const CLI_STACK_READ_ACTIONS = ['cloudformation:DescribeStackResource', 'cloudformation:ListStackResources'];

/**
 * Calls that name no stack: ValidateTemplate supports no resource-level
 * permissions, and GetTemplateSummary is called with a template rather than
 * a stack (CDK's own bootstrap deploy role grants both on '*'). They read
 * templates and summaries only.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 */
const TEMPLATE_CHECK_ACTIONS = ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'];

/**
 * `serverlessFramework()`: `serverless deploy` as the action role, with the
 * execution role as `provider.iam.deploymentRole` (the action role changes
 * stacks only through it). The framework validates the template, reads the
 * stack's resources, and uploads the package to its deployment bucket, which
 * the stack itself creates (`<service>-<stage>-serverlessdeploymentbucket-<suffix>`,
 * named after the stack, so with the prefix) and which it prunes of old
 * deployments.
 * https://www.serverless.com/framework/docs/providers/aws/guide/iam
 */
export function serverlessFrameworkStatements(s: PresetScope): PresetStatements {
  // Bucket ARNs carry no account: the account is a condition, so that a
  // bucket of another account named with the prefix stays out of reach.
  const buckets = `arn:${s.partition}:s3:::${s.prefix}*`;
  const inThisAccount = { StringEquals: { 'aws:ResourceAccount': s.account } };
  return {
    actionRole: [
      { sid: 'ServerlessStackResources', actions: CLI_STACK_READ_ACTIONS, resources: [stacks(s)] },
      { sid: 'ServerlessValidateTemplates', actions: ['cloudformation:ValidateTemplate'], resources: ['*'] },
      {
        sid: 'ServerlessDeploymentBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [buckets],
        conditions: inThisAccount,
      },
      {
        sid: 'ServerlessDeploymentArtifacts',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [`${buckets}/*`],
        conditions: inThisAccount,
      },
    ],
    executionRole: [
      {
        sid: 'ServerlessCreateDeploymentBucket',
        actions: ['s3:CreateBucket'],
        resources: [buckets],
      },
      {
        sid: 'ServerlessConfigureDeploymentBucket',
        actions: [
          's3:DeleteBucket', 's3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration', 's3:PutBucketPolicy',
          's3:GetBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock',
          's3:PutBucketVersioning', 's3:PutBucketTagging', 's3:GetBucketLocation', 's3:ListBucket',
        ],
        resources: [buckets],
        conditions: inThisAccount,
      },
    ],
  };
}

/**
 * `cdkCli()`: `cdk deploy` (and `cdk diff`, `cdk destroy`) as the action role,
 * through the execution role (the synthesizer's
 * `cloudFormationExecutionRole`), without bootstrap: no SSM bootstrap version
 * read when the synthesizer disables the bootstrap version rule, and assets
 * read from the contract's artifact store (already readable). Change sets,
 * stack reads and passing the execution role are every action role's.
 * https://docs.aws.amazon.com/cdk/v2/guide/customize-synth.html
 */
export function cdkCliStatements(s: PresetScope): PresetStatements {
  return {
    actionRole: [
      {
        sid: 'CdkCliStackCalls',
        actions: [...CLI_STACK_READ_ACTIONS, 'cloudformation:UpdateTerminationProtection'],
        resources: [stacks(s)],
      },
      { sid: 'CdkCliTemplateChecks', actions: TEMPLATE_CHECK_ACTIONS, resources: ['*'] },
    ],
    executionRole: [],
  };
}

/**
 * `containerImages()`: the execution role may read the images of the
 * contract's repositories in the tooling account (ContainerRegistry). Lambda
 * checks, when a stack creates or updates a function from an image in
 * another account, that the caller itself may read it: the repository policy
 * admits the execution role, and its own policy must allow the two calls too.
 * https://repost.aws/knowledge-center/lambda-ecr-image
 * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html
 */
export function containerImageStatements(s: PresetScope): PresetStatements {
  return {
    actionRole: [],
    executionRole: [{
      sid: 'ReadContractImagesForLambda',
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [s.imageRepositories],
    }],
  };
}
