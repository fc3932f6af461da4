import { Token } from 'aws-cdk-lib';
import { Problem } from '../shared/validation';

/**
 * The transforms hosted by CloudFormation (the "Transform reference" of the
 * CloudFormation Template Reference Guide). Custom macros of an account are
 * not among them: they are Lambda functions of the target account, which this
 * library does not grant.
 */
const HOSTED_TRANSFORMS = [
  'AWS::Serverless-2016-10-31',
  'AWS::Include',
  'AWS::LanguageExtensions',
  'AWS::SecretsManager-2020-07-23',
  'AWS::CodeDeployBlueGreen',
  'AWS::ServiceCatalog',
];

/**
 * A transform (a macro hosted by CloudFormation) that a deployed template
 * declares in its `Transform` section.
 *
 * Whoever creates the change set that expands it needs
 * `cloudformation:CreateChangeSet` on the transform's ARN,
 * `arn:<partition>:cloudformation:<region>:aws:transform/<name>`: the
 * targets' `TenantDeploymentRole` grants it with `allowedTransforms`.
 */
export class CloudFormationTransform {
  /** `AWS::Serverless-2016-10-31`: AWS SAM templates. */
  public static readonly SERVERLESS = new CloudFormationTransform('AWS::Serverless-2016-10-31');
  /** `AWS::Include`: template snippets from S3. */
  public static readonly INCLUDE = new CloudFormationTransform('AWS::Include');
  /** `AWS::LanguageExtensions`: Fn::ForEach, Fn::Length, Fn::ToJsonString and friends. */
  public static readonly LANGUAGE_EXTENSIONS = new CloudFormationTransform('AWS::LanguageExtensions');
  /** `AWS::SecretsManager-2020-07-23`: rotation Lambda functions for secrets. */
  public static readonly SECRETS_MANAGER = new CloudFormationTransform('AWS::SecretsManager-2020-07-23');

  /**
   * A transform by the name the template declares, e.g.
   * 'AWS::CodeDeployBlueGreen'. Only transforms hosted by CloudFormation are
   * accepted (checked at synth).
   */
  public static of(name: string): CloudFormationTransform {
    return new CloudFormationTransform(name);
  }

  /** The name as the template declares it, e.g. 'AWS::Serverless-2016-10-31'. */
  public readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }
}

/** The transform's resource name in its ARN: the declared name without 'AWS::' ('Serverless-2016-10-31'). */
export function transformResourceName(name: string): string {
  return name.replace(/^AWS::/, '');
}

/** Names that are no transform hosted by CloudFormation, and names given twice. */
export function transformProblems(transforms: readonly CloudFormationTransform[], property: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  transforms.forEach((transform, i) => {
    const name = transform.name;
    if (Token.isUnresolved(name)) {
      problems.push({
        property: `${property}[${i}]`,
        value: name,
        reason: 'a template declares its transforms as literal strings, and the grant of each must be known at synth',
        fix: 'give the name as a literal, e.g. CloudFormationTransform.SERVERLESS',
      });
    } else if (!HOSTED_TRANSFORMS.includes(name)) {
      problems.push({
        property: `${property}[${i}]`,
        value: name,
        reason: `not a transform hosted by CloudFormation (${HOSTED_TRANSFORMS.join(', ')}); custom macros are not supported`,
        fix: 'use one of the CloudFormationTransform constants, or the exact name the template declares (case matters)',
      });
    } else if (seen.has(name)) {
      problems.push({ property: `${property}[${i}]`, value: name, reason: 'listed twice', fix: 'list each transform once' });
    }
    seen.add(name);
  });
  return problems;
}
