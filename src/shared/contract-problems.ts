import { DeploymentContract } from './deployment-contract';
import * as naming from './naming';
import {
  checkAccountId, checkNameLength, checkOrganizationId, checkOrganizationPath, Problem,
} from './validation';

/**
 * Every problem with a contract, with property names as the user wrote them.
 * Constructs that take a contract report these under their own path.
 */
export function contractProblems(contract: DeploymentContract, property = 'contract'): Problem[] {
  const problems: Problem[] = [];
  problems.push(...checkAccountId(`${property}.toolingAccount`, contract.toolingAccount));
  if (!naming.QUALIFIER_PATTERN.test(contract.qualifier)) {
    problems.push({
      property: `${property}.qualifier`,
      value: contract.qualifier,
      reason: 'a qualifier may hold only lowercase letters, digits and inner hyphens (it becomes part of role and bucket names)',
      fix: "choose something like 'main' or 'shop-prod'",
    });
  } else {
    const tooLong = 'choose a shorter qualifier';
    problems.push(
      ...checkNameLength(`${property}.qualifier`, contract.qualifier, contract.actionRoleName, 'the action role name', naming.IAM_ROLE_NAME_LIMIT, tooLong),
      ...checkNameLength(`${property}.qualifier`, contract.qualifier, contract.executionRoleName, 'the execution role name', naming.IAM_ROLE_NAME_LIMIT, tooLong),
      ...checkNameLength(
        `${property}.qualifier`,
        contract.qualifier,
        naming.artifactBucketName(contract.qualifier, '123456789012', naming.LONGEST_REGION),
        `the artifact bucket name (in the longest region, ${naming.LONGEST_REGION})`,
        naming.S3_BUCKET_NAME_LIMIT,
        tooLong,
      ),
    );
  }
  if (contract.organizationId !== undefined) {
    problems.push(...checkOrganizationId(`${property}.organizationId`, contract.organizationId));
  } else if (contract.organizationalUnitPaths.length > 0) {
    problems.push({
      property: `${property}.organizationalUnitPaths`,
      value: contract.organizationalUnitPaths,
      reason: 'OU paths need an organization',
      fix: 'set organizationId as well, or drop organizationalUnitPaths',
    });
  }
  contract.organizationalUnitPaths.forEach((path, index) => {
    problems.push(...checkOrganizationPath(`${property}.organizationalUnitPaths[${index}]`, path, contract.organizationId));
  });
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(contract.stackNamePrefix)) {
    problems.push({
      property: `${property}.stackNamePrefix`,
      value: contract.stackNamePrefix,
      reason: 'a stack name prefix must start with a letter and hold only letters, digits and hyphens (it is the start of a CloudFormation stack name)',
      fix: "use a prefix such as 'shop-'",
    });
  }
  return problems;
}
