import { Token } from 'aws-cdk-lib';
import { DeploymentContract } from './deployment-contract';
import { Problem } from './validation';

/**
 * A tooling-account resource of the contract (the artifact store, the
 * container registry) must live in the contract's tooling account, and takes
 * reader accounts only without an organization. `resource` names it ('store'),
 * `readersDo` what its tenants do there ('read artifacts'), `membersDo` what
 * every member account may then do ('read').
 */
export function toolingResourceProblems(
  stackAccount: string, contract: DeploymentContract, readerAccounts: readonly string[] | undefined,
  wording: { resource: string; tenantsDo: string; membersDo: string },
): Problem[] {
  const problems: Problem[] = [];
  const tooling = contract.toolingAccount;
  if (!Token.isUnresolved(stackAccount) && !Token.isUnresolved(tooling) && stackAccount !== tooling) {
    problems.push({
      property: 'contract.toolingAccount',
      value: tooling,
      reason: `the ${wording.resource}'s stack deploys to account ${stackAccount}, but ${wording.tenantsDo} only from the contract's tooling account`,
      fix: `deploy the ${wording.resource} in account ${tooling}, or build the contract with toolingAccount '${stackAccount}'`,
    });
  }
  if (contract.organizationId && readerAccounts && readerAccounts.length > 0) {
    problems.push({
      property: 'readerAccounts',
      value: readerAccounts,
      reason: `with an organization in the contract every member account may already ${wording.membersDo}; an account list would only grow the policies`,
      fix: 'drop readerAccounts, or drop organizationId from the contract to list accounts instead',
    });
  }
  return problems;
}
