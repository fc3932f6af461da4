import { CfnResource } from 'aws-cdk-lib';

/**
 * The construct metadata newer aws-cdk-lib reads for acknowledged findings
 * (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`); written by hand because the
 * library's aws-cdk-lib floor has no `Validations`.
 */
const ACKNOWLEDGED_RULES = 'aws:cdk:acknowledged-rules';

/**
 * Acknowledges one finding of aws-cdk-lib's own template validation
 * ("CloudFormation Validate", an error in apps with cdk init's
 * `@aws-cdk/core:validateAgainstDefaultRules`) on `resource`, with the reason.
 * Only for findings shown not to apply; older aws-cdk-lib ignores the metadata.
 */
export function acknowledgeTemplateValidation(resource: CfnResource, rule: string, reason: string): void {
  resource.node.addMetadata(ACKNOWLEDGED_RULES, { [`CloudFormation-Validate::${rule}`]: reason });
}
