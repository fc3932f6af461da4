import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * An AWS account named by its bare id (`"AWS": "123456789012"`), the short
 * form of `arn:aws:iam::123456789012:root` that behaves the same:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
 * 15 bytes per account in a policy, where CDK's AccountPrincipal spends the
 * length of an ARN (and a Fn::Join for the partition).
 */
export class AccountIdPrincipal extends iam.PrincipalBase {
  public readonly principalAccount: string | undefined;

  constructor(public readonly accountId: string) {
    super();
    this.principalAccount = accountId;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return new iam.PrincipalPolicyFragment({ AWS: [this.accountId] });
  }

  public toString(): string {
    return `AccountIdPrincipal(${this.accountId})`;
  }

  public dedupeString(): string | undefined {
    return `AccountIdPrincipal:${this.accountId}`;
  }
}
