import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, BootstraplessSynthesizer, CfnStackSet, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TenantDeploymentRole } from './tenant-deployment-role';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { Problem, throwIfProblems } from '../shared/validation';

/** CloudFormation's limit for a template passed inline (`TemplateBody`). */
const TEMPLATE_BODY_LIMIT = 51_200;
const OU_ID = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;

/**
 * Properties of a {@link TenantDeploymentRoleStackSet}.
 */
export interface TenantDeploymentRoleStackSetProps {
  /** The deployment contract the roles follow. */
  readonly contract: DeploymentContract;

  /**
   * OUs (or the root, `r-xxxx`) whose accounts get the roles, now and as
   * accounts join them later. The management account itself is never a target
   * of a service-managed StackSet; deploy a TenantDeploymentRole there directly
   * if it is a target too.
   */
  readonly organizationalUnitIds: string[];

  /**
   * The one region the stack instances are created in. IAM roles are global,
   * so a second region would try to create the same role names again and fail.
   *
   * @default - the region of this stack
   */
  readonly region?: string;

  /**
   * ARNs of managed policies for the execution role (AWS managed, or customer
   * managed policies that exist in every target account).
   *
   * @default - none
   */
  readonly executionRoleManagedPolicyArns?: string[];

  /**
   * Name of a customer managed policy, present in every target account, to use
   * as permissions boundary for both roles.
   *
   * @default - no boundary
   */
  readonly permissionsBoundaryPolicyName?: string;

  /**
   * Name of the StackSet.
   *
   * @default - 'cdkx-<qualifier>-tenant-deployment-roles'
   */
  readonly stackSetName?: string;

  /**
   * Call as a delegated administrator of StackSets instead of from the
   * management account.
   *
   * @default false
   */
  readonly callAsDelegatedAdmin?: boolean;

  /**
   * Accounts deployed at the same time, as a percentage of the targets.
   *
   * @default 25
   */
  readonly maxConcurrentPercentage?: number;
}

/**
 * Rolls the tenant deployment roles out to every account of one or more OUs,
 * with a service-managed CloudFormation StackSet that also covers accounts that
 * join those OUs later. Deploy it in the management account (or a StackSets
 * delegated administrator account) with trusted access for StackSets enabled.
 *
 * The roles template is synthesized in a separate, bootstrapless app, so the
 * target accounts need no `cdk bootstrap`.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { DeploymentContract, TenantDeploymentRoleStackSet } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * // In the management account (or a StackSets delegated administrator account).
 * const management = new Stack(app, 'TenantRolesRollout', { env: { account: '999999999999', region: 'us-east-1' } });
 * new TenantDeploymentRoleStackSet(management, 'TenantRoles', {
 *   contract,
 *   organizationalUnitIds: ['ou-ab12-34cd56ef'],
 *   executionRoleManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSNSFullAccess'],
 * });
 * app.synth();
 */
export class TenantDeploymentRoleStackSet extends Construct {
  /** The StackSet resource. */
  public readonly stackSet: CfnStackSet;
  /** The template each target account receives. */
  public readonly templateBody: string;

  constructor(scope: Construct, id: string, props: TenantDeploymentRoleStackSetProps) {
    super(scope, id);
    throwIfProblems(this, stackSetProblems(props));

    this.templateBody = synthesizeRolesTemplate(props);
    if (this.templateBody.length > TEMPLATE_BODY_LIMIT) {
      throwIfProblems(this, [{
        property: 'templateBody',
        value: `${this.templateBody.length} characters`,
        reason: `the roles template is over CloudFormation's inline template limit of ${TEMPLATE_BODY_LIMIT.toLocaleString('en-US')}`,
        fix: 'move execution role permissions into fewer managed policies',
      }]);
    }

    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? `cdkx-${props.contract.qualifier}-tenant-deployment-roles`,
      description: `Deployment roles of contract '${props.contract.qualifier}' for the pipelines of account ${props.contract.toolingAccount}`,
      permissionModel: 'SERVICE_MANAGED',
      callAs: props.callAsDelegatedAdmin ? 'DELEGATED_ADMIN' : 'SELF',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25,
        failureTolerancePercentage: 10,
        regionConcurrencyType: 'SEQUENTIAL',
      },
      stackInstancesGroup: [{
        regions: [props.region ?? Stack.of(this).region],
        deploymentTargets: { organizationalUnitIds: props.organizationalUnitIds },
      }],
      templateBody: this.templateBody,
    });
  }
}

/** The TenantDeploymentRole template, from its own app: no bootstrap, no references into this app. */
function synthesizeRolesTemplate(props: TenantDeploymentRoleStackSetProps): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdkx-stackset-'));
  try {
    const app = new App({ outdir, analyticsReporting: false });
    const stack = new Stack(app, 'TenantDeploymentRoles', { synthesizer: new BootstraplessSynthesizer() });
    new TenantDeploymentRole(stack, 'Roles', {
      contract: props.contract,
      executionRoleManagedPolicies: (props.executionRoleManagedPolicyArns ?? []).map((arn, index) =>
        iam.ManagedPolicy.fromManagedPolicyArn(stack, `ExecutionPolicy${index}`, arn)),
      permissionsBoundary: props.permissionsBoundaryPolicyName
        ? iam.ManagedPolicy.fromManagedPolicyName(stack, 'Boundary', props.permissionsBoundaryPolicyName)
        : undefined,
    });
    const template = app.synth().getStackByName(stack.stackName).template;
    return JSON.stringify(template);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function stackSetProblems(props: TenantDeploymentRoleStackSetProps): Problem[] {
  const problems = contractProblems(props.contract);
  if (props.organizationalUnitIds.length === 0) {
    problems.push({
      property: 'organizationalUnitIds',
      value: [],
      reason: 'a StackSet without targets deploys nothing',
      fix: "list the OUs of the target accounts, e.g. ['ou-ab12-34cd56ef'], or the root 'r-ab12'",
    });
  }
  props.organizationalUnitIds.forEach((ou, index) => {
    if (!Token.isUnresolved(ou) && !OU_ID.test(ou)) {
      problems.push({
        property: `organizationalUnitIds[${index}]`,
        value: ou,
        reason: "not an OU id ('ou-xxxx-xxxxxxxx') or root id ('r-xxxx')",
        fix: 'copy the id from the AWS Organizations console',
      });
    }
  });
  for (const [index, arn] of (props.executionRoleManagedPolicyArns ?? []).entries()) {
    if (Token.isUnresolved(arn)) {
      problems.push({
        property: `executionRoleManagedPolicyArns[${index}]`,
        value: arn,
        reason: 'the roles template is synthesized in its own app and cannot carry references into this one',
        fix: 'pass the literal ARN',
      });
    } else if (!/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\//.test(arn)) {
      problems.push({
        property: `executionRoleManagedPolicyArns[${index}]`,
        value: arn,
        reason: 'not a managed policy ARN',
        fix: "use an ARN like 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'",
      });
    }
  }
  return problems;
}
