/**
 * The name of the EventBridge rule that starts a pipeline: fixed, so that the
 * role the rule uses can trust exactly this rule by ARN. Pure: no constructs.
 */
import { createHash } from 'crypto';
import { Token } from 'aws-cdk-lib';

/** EventBridge rule names: 1 to 64 of `.`, `-`, `_`, letters and digits. */
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const SUFFIX = '-source';
const HASH_LENGTH = 8;

/**
 * `<pipeline name>-source`, unique like the pipeline name in its account and
 * region. A name that is too long or holds `@` (valid in pipeline names, not in
 * rule names) is shortened and made unique again with a hash of the pipeline
 * name. Undefined for an unresolved name: CloudFormation then names the rule.
 */
export function sourceRuleName(pipelineName: string): string | undefined {
  if (Token.isUnresolved(pipelineName)) return undefined;
  const plain = `${pipelineName}${SUFFIX}`;
  if (RULE_NAME.test(plain)) return plain;
  const hash = createHash('sha256').update(pipelineName).digest('hex').slice(0, HASH_LENGTH);
  const keep = 64 - SUFFIX.length - HASH_LENGTH - 1;
  return `${pipelineName.replace(/[^.\-_A-Za-z0-9]/g, '_').slice(0, keep)}-${hash}${SUFFIX}`;
}
