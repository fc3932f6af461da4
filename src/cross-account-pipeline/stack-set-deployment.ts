import { Token } from 'aws-cdk-lib';
import type { DeploymentAction, DeploymentActionContext, IDeploymentKind } from './deployment-kind';
import { DeploymentContract } from '../shared/deployment-contract';
import { checkAccountList, Problem } from '../shared/validation';

/**
 * How StackSets gets into the accounts of the stack instances.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html
 */
export enum StackSetPermissionModel {
  /**
   * StackSets creates its roles in the organization's accounts itself (trusted
   * access with AWS Organizations); targets are OUs or accounts. The StackSet
   * lives in the management account.
   */
  SERVICE_MANAGED = 'SERVICE_MANAGED',
  /**
   * You create an administration role in the StackSet's account and an
   * execution role in every account of the instances; targets are accounts.
   */
  SELF_MANAGED = 'SELF_MANAGED',
}

/** Whether a service-managed StackSet deploys itself to accounts that join a target OU. */
export enum StackSetAutoDeployment {
  /** Deploy to accounts that join, delete the instances of accounts that leave. */
  ENABLED = 'Enabled',
  /** Deploy to accounts that join, keep the stacks' resources of accounts that leave. */
  ENABLED_WITH_STACK_RETENTION = 'EnabledWithStackRetention',
  /** Deploy only to the targets of the StackSet's operations. */
  DISABLED = 'Disabled',
}

/**
 * Update a CloudFormation StackSet from the pipeline (CodePipeline's
 * `CloudFormationStackSet` action): each pipeline target is the StackSet's
 * administrator account and region, and the StackSet spreads the template to
 * the OUs or accounts below.
 */
export interface StackSetDeploymentProps {
  /** StackSet name; must start with the contract's stack name prefix (letters, digits, hyphens, at most 128, starting with a letter). */
  readonly stackSetName: string;
  /** Path of the template inside the build output, e.g. 'cdk.out/Guardrails.template.json' (at most 460,800 bytes). */
  readonly templatePath: string;
  /** Description of the StackSet. @default - none */
  readonly description?: string;
  /** How StackSets reaches the accounts of the instances. @default StackSetPermissionModel.SERVICE_MANAGED */
  readonly permissionModel?: StackSetPermissionModel;
  /** OUs (or the organization root, 'r-xxxx') to deploy to; service-managed only. Not together with `accounts`. @default - none */
  readonly organizationalUnitIds?: string[];
  /** Accounts to deploy to. Not together with `organizationalUnitIds`. @default - none */
  readonly accounts?: string[];
  /**
   * Regions of the stack instances, deployed in this order. Required with
   * `organizationalUnitIds` or `accounts`.
   *
   * @default - no targets: the action updates every existing instance of the StackSet
   */
  readonly regions?: string[];
  /**
   * Automatic deployment to accounts that join a target OU (service-managed
   * only). CodePipeline takes it without `organizationalUnitIds`, `accounts`
   * and `regions`.
   *
   * @default - the StackSet's setting (Disabled for a new StackSet)
   */
  readonly autoDeployment?: StackSetAutoDeployment;
  /** Percentage (0 to 100) of accounts per region that may fail before CloudFormation stops the operation in that region. @default 0 */
  readonly failureTolerancePercentage?: number;
  /** Maximum percentage (1 to 100) of accounts deployed at the same time. @default 1 (at least one account) */
  readonly maxConcurrentPercentage?: number;
  /** Template parameters of the StackSet (every instance); each target's `parameters` take precedence. @default - none */
  readonly parameters?: Record<string, string>;
  /**
   * Parameter values for the instances of `organizationalUnitIds` or
   * `accounts` in `regions`, applied by a second action
   * (`CloudFormationStackInstances`, run order 2) after the StackSet update.
   *
   * @default - no instance overrides (one action per target)
   */
  readonly parameterOverrides?: Record<string, string>;
  /** Target parameters every target (administrator account) must set. @default - none */
  readonly requiredParameters?: string[];
  /**
   * Self-managed: name of the administration role in the target
   * (administrator) account, which the action role passes to CloudFormation.
   *
   * @default 'AWSCloudFormationStackSetAdministrationRole'
   */
  readonly administrationRoleName?: string;
  /** Self-managed: name of the execution role in the accounts of the instances. @default 'AWSCloudFormationStackSetExecutionRole' */
  readonly executionRoleName?: string;
}

/** The administration role StackSets uses by default (self-managed permissions). */
export const DEFAULT_STACK_SET_ADMINISTRATION_ROLE = 'AWSCloudFormationStackSetAdministrationRole';

const STACK_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// Organizations: an OU id or a root id (the API's patterns).
const OU_OR_ROOT = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
// The shorthand 'ParameterKey=k,ParameterValue=v k2=...' has no escape for commas or spaces.
const SHORTHAND_VALUE = /^[^,\s]*$/;

/** The `DeploymentKind.stackSet` kind. @internal */
export class StackSetDeployment implements IDeploymentKind {
  public readonly actionsPerTarget: number;
  public readonly requiredParameters: string[];

  constructor(private readonly props: StackSetDeploymentProps) {
    this.actionsPerTarget = this.hasInstanceOverrides ? 2 : 1;
    this.requiredParameters = props.requiredParameters ?? [];
  }

  private get hasInstanceOverrides(): boolean {
    return Object.keys(this.props.parameterOverrides ?? {}).length > 0;
  }

  private get permissionModel(): StackSetPermissionModel {
    return this.props.permissionModel ?? StackSetPermissionModel.SERVICE_MANAGED;
  }

  public problems(contract: DeploymentContract, property: string): Problem[] {
    const p = this.props;
    const problems: Problem[] = [];
    const at = (name: string) => `${property}.${name}`;
    const selfManaged = this.permissionModel === StackSetPermissionModel.SELF_MANAGED;
    if (!Token.isUnresolved(p.stackSetName)) {
      if (!p.stackSetName.startsWith(contract.stackNamePrefix)) {
        problems.push({
          property: at('stackSetName'),
          value: p.stackSetName,
          reason: `the tenant action role may only manage StackSets whose names start with '${contract.stackNamePrefix}'`,
          fix: `name the StackSet '${contract.stackNamePrefix}${p.stackSetName}', or change the contract's stackNamePrefix`,
        });
      }
      if (!STACK_SET_NAME.test(p.stackSetName)) {
        problems.push({
          property: at('stackSetName'),
          value: p.stackSetName,
          reason: 'CloudFormation refuses it: a StackSet name holds letters, digits and hyphens, at most 128, starting with a letter',
          fix: `e.g. '${contract.stackNamePrefix}guardrails'`,
        });
      }
    }
    const ous = p.organizationalUnitIds;
    const accounts = p.accounts;
    if (ous && accounts) {
      problems.push({
        property: at('organizationalUnitIds'),
        value: ous,
        reason: 'a StackSet operation targets either OUs or accounts, not both',
        fix: 'keep organizationalUnitIds or accounts; deploy the other in a second stage or a second StackSet',
      });
    }
    if (ous && selfManaged) {
      problems.push({
        property: at('organizationalUnitIds'),
        value: ous,
        reason: 'self-managed StackSets deploy to accounts only',
        fix: 'use permissionModel SERVICE_MANAGED, or list the accounts in accounts',
      });
    }
    (ous ?? []).forEach((ou, i) => {
      if (!Token.isUnresolved(ou) && !OU_OR_ROOT.test(ou)) {
        problems.push({ property: `${at('organizationalUnitIds')}[${i}]`, value: ou, reason: 'not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)', fix: 'copy the id from the AWS Organizations console' });
      }
    });
    if (ous?.length === 0) {
      problems.push({ property: at('organizationalUnitIds'), value: ous, reason: 'an empty list targets nothing', fix: 'list at least one OU, or leave organizationalUnitIds out' });
    }
    if (accounts?.length === 0) {
      problems.push({ property: at('accounts'), value: accounts, reason: 'an empty list targets nothing', fix: 'list at least one account, or leave accounts out' });
    }
    if (accounts) problems.push(...checkAccountList(at('accounts'), accounts));
    const hasTargets = (ous?.length ?? 0) > 0 || (accounts?.length ?? 0) > 0;
    if (hasTargets && (p.regions === undefined || p.regions.length === 0)) {
      problems.push({
        property: at('regions'),
        value: p.regions ?? null,
        reason: 'CodePipeline needs the regions of the stack instances together with their OUs or accounts',
        fix: "list the regions, e.g. ['eu-west-1']",
      });
    }
    if (!hasTargets && p.regions !== undefined) {
      problems.push({
        property: at('regions'),
        value: p.regions,
        reason: 'regions without organizationalUnitIds or accounts: CodePipeline needs both or neither',
        fix: 'add organizationalUnitIds or accounts, or leave regions out to update every existing instance',
      });
    }
    (p.regions ?? []).forEach((region, i) => {
      if (!Token.isUnresolved(region) && !REGION.test(region)) {
        problems.push({ property: `${at('regions')}[${i}]`, value: region, reason: 'not an AWS region name', fix: "e.g. 'eu-west-1'" });
      }
    });
    if (p.autoDeployment !== undefined) {
      if (selfManaged) {
        problems.push({ property: at('autoDeployment'), value: p.autoDeployment, reason: 'automatic deployment exists for service-managed StackSets only', fix: 'use permissionModel SERVICE_MANAGED, or leave autoDeployment out' });
      }
      if (hasTargets || p.regions !== undefined) {
        problems.push({
          property: at('autoDeployment'),
          value: p.autoDeployment,
          // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html (OrganizationsAutoDeployment)
          reason: 'CodePipeline refuses OrganizationsAutoDeployment together with DeploymentTargets and Regions',
          fix: 'set autoDeployment in a stage without targets, or leave it out',
        });
      }
    }
    problems.push(...percentProblems(at('failureTolerancePercentage'), p.failureTolerancePercentage, 0));
    problems.push(...percentProblems(at('maxConcurrentPercentage'), p.maxConcurrentPercentage, 1));
    if (this.hasInstanceOverrides && !hasTargets) {
      problems.push({
        property: at('parameterOverrides'),
        value: p.parameterOverrides,
        reason: 'instance parameter overrides apply to the instances of given OUs or accounts and regions',
        fix: 'add organizationalUnitIds or accounts and regions, or move the values to parameters',
      });
    }
    for (const [name, values] of [['parameters', p.parameters], ['parameterOverrides', p.parameterOverrides]] as const) {
      for (const [key, value] of Object.entries(values ?? {})) {
        if (!Token.isUnresolved(value) && !SHORTHAND_VALUE.test(value)) {
          problems.push({
            property: `${at(name)}.${key}`,
            value,
            reason: "CodePipeline reads StackSet parameters in the shorthand 'ParameterKey=k,ParameterValue=v', which cannot carry a comma or a space",
            fix: 'pass a value without commas and spaces (e.g. join a list with ";" and split it in the template with Fn::Split)',
          });
        }
      }
    }
    if (!selfManaged) {
      for (const name of ['administrationRoleName', 'executionRoleName'] as const) {
        if (p[name] !== undefined) {
          problems.push({ property: at(name), value: p[name], reason: 'service-managed StackSets use the roles StackSets creates; CodePipeline refuses a role name', fix: `leave ${name} out, or use permissionModel SELF_MANAGED` });
        }
      }
    }
    for (const name of ['administrationRoleName', 'executionRoleName'] as const) {
      const value = p[name];
      if (value !== undefined && !Token.isUnresolved(value) && !ROLE_NAME.test(value)) {
        problems.push({ property: at(name), value, reason: 'not an IAM role name (1 to 64 letters, digits and +=,.@_-)', fix: 'give the role name without path or ARN' });
      }
    }
    return problems;
  }

  public bind(): void {
    // Nothing shared: the actions run as the administrator account's action role.
  }

  public renderActions(context: DeploymentActionContext): DeploymentAction[] {
    const p = this.props;
    const targets = [...(p.organizationalUnitIds ?? []), ...(p.accounts ?? [])];
    const targetConfiguration = targets.length > 0 ? { DeploymentTargets: targets.join(','), Regions: (p.regions ?? []).join(',') } : {};
    const preferences = {
      ...(p.failureTolerancePercentage !== undefined ? { FailureTolerancePercentage: String(p.failureTolerancePercentage) } : {}),
      ...(p.maxConcurrentPercentage !== undefined ? { MaxConcurrentPercentage: String(p.maxConcurrentPercentage) } : {}),
    };
    const parameters = { ...(p.parameters ?? {}), ...(context.target.parameters ?? {}) };
    const selfManaged = this.permissionModel === StackSetPermissionModel.SELF_MANAGED;
    // Configuration keys: https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
    const stackSet: DeploymentAction = {
      ...(this.hasInstanceOverrides ? { nameSuffix: '.StackSet' } : {}),
      category: 'Deploy',
      provider: 'CloudFormationStackSet',
      runOrder: 1,
      configuration: {
        StackSetName: p.stackSetName,
        TemplatePath: `${context.inputArtifactName}::${p.templatePath}`,
        ...(p.description !== undefined ? { Description: p.description } : {}),
        ...(Object.keys(parameters).length > 0 ? { Parameters: shorthand(parameters) } : {}),
        Capabilities: 'CAPABILITY_IAM,CAPABILITY_NAMED_IAM',
        PermissionModel: this.permissionModel,
        ...(selfManaged ? {
          AdministrationRoleArn: `${context.actionRoleArn.split(':role/')[0]}:role/${p.administrationRoleName ?? DEFAULT_STACK_SET_ADMINISTRATION_ROLE}`,
          ...(p.executionRoleName !== undefined ? { ExecutionRoleName: p.executionRoleName } : {}),
        } : {}),
        ...(p.autoDeployment !== undefined ? { OrganizationsAutoDeployment: p.autoDeployment } : {}),
        ...targetConfiguration,
        ...preferences,
      },
    };
    if (!this.hasInstanceOverrides) return [stackSet];
    return [stackSet, {
      nameSuffix: '.Instances',
      category: 'Deploy',
      provider: 'CloudFormationStackInstances',
      runOrder: 2,
      configuration: {
        StackSetName: p.stackSetName,
        ...targetConfiguration,
        ParameterOverrides: shorthand(p.parameterOverrides!),
        ...preferences,
      },
    }];
  }
}

/** `ParameterKey=k,ParameterValue=v` entries separated by spaces, as the StackSet actions read them. */
function shorthand(values: Record<string, string>): string {
  return Object.entries(values).map(([key, value]) => `ParameterKey=${key},ParameterValue=${value}`).join(' ');
}

function percentProblems(property: string, value: number | undefined, min: number): Problem[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  if (Number.isInteger(value) && value >= min && value <= 100) return [];
  return [{ property, value, reason: `a percentage of accounts is a whole number from ${min} to 100`, fix: `use a whole number from ${min} to 100` }];
}
