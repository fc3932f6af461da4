/**
 * Who may pull from and push to the container repositories of a deployment
 * contract, and which repository names ECR accepts. Pure: no CDK imports;
 * the partition and region come in as arguments (tokens or literals).
 */
import { Problem } from '../shared/validation';

/**
 * What a puller needs on the repository. ECS (and docker) check layers before
 * downloading them; Lambda's documented statement lists only the two others.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
 */
export const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

/**
 * What the Lambda service needs to fetch a function's image: the actions of
 * the documented `LambdaECRImageCrossAccountRetrievalPolicy` statement.
 * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html (Amazon ECR permissions, cross-account)
 */
export const LAMBDA_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

/** What a build needs on the repository to push an image (docker push, cdk-assets). */
export const PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability', 'ecr:CompleteLayerUpload', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart',
];

/** Registry-level, authorized on `*` only: every docker login calls it. */
export const AUTHORIZATION_TOKEN_ACTION = 'ecr:GetAuthorizationToken';

/** The Lambda service principal the documented cross-account statement names. */
export const LAMBDA_SERVICE = 'lambda.amazonaws.com';

/** The ECR repository policy limit: SetRepositoryPolicy's policyText is at most 10,240 characters. */
export const ECR_REPOSITORY_POLICY_LIMIT = 10_240;

// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html (repositoryName)
const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_REPOSITORY_NAME_MIN = 2;
const ECR_REPOSITORY_NAME_MAX = 256;

/**
 * IAM path of the roles in target accounts that may pull images for ECS tasks
 * (task execution roles) and other runtimes: `/cdkx-<qualifier>-image-pull/`.
 *
 * Why a path: the repository policy must not grow per target and must not name
 * roles that may not exist yet, so pullers are matched by an `aws:PrincipalArn`
 * pattern. Admitting every principal of the organization would let any role of
 * any member account read the images; a path keeps it to roles made for it,
 * whatever their (often generated) names. `aws:PrincipalArn` of a role session
 * is the role ARN with its path.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
export function imagePullRolePath(qualifier: string): string {
  return `/cdkx-${qualifier}-image-pull/`;
}

/** Role ARN patterns (any account) the repository policy admits as pullers. */
export function pullerArnPatterns(partition: string, qualifier: string, executionRoleName: string): string[] {
  return [
    // CloudFormation creates and updates Lambda functions with the contract's
    // execution role; Lambda checks that the caller may read the image.
    `arn:${partition}:iam::*:role/${executionRoleName}`,
    `arn:${partition}:iam::*:role${imagePullRolePath(qualifier)}*`,
  ];
}

/**
 * `aws:sourceARN` patterns of the Lambda functions whose images the Lambda
 * service may fetch: the functions of the listed accounts in the registry's
 * region (Lambda pulls cross-account only within one region), or, with an
 * organization, of any account in that region (`*`), so the policy does not
 * grow: Lambda fetches an image only for a function whose creator passed the
 * repository policy's check at CreateFunction / UpdateFunctionCode, and that
 * creator must be a contract role of the organization.
 */
export function lambdaSourceArnPatterns(partition: string, region: string, accounts: readonly string[] | undefined): string[] {
  const inAccount = (account: string) => `arn:${partition}:lambda:${region}:${account}:function:*`;
  return accounts === undefined ? [inAccount('*')] : accounts.map(inAccount);
}

/** Problems with the repository names a user asked for, as full contract names. */
export function repositoryNameProblems(names: readonly string[], fullName: (name: string) => string, reserved?: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    const property = `repositoryNames[${index}]`;
    const full = fullName(name);
    if (!ECR_REPOSITORY_NAME.test(full)) {
      problems.push({
        property,
        value: name,
        reason: `makes the repository name '${full}', which ECR refuses: lowercase letters and digits, separated by single '.', '_', '-' or '/'`,
        fix: "use a name such as 'web' or 'jobs/worker'",
      });
    } else if (full.length < ECR_REPOSITORY_NAME_MIN || full.length > ECR_REPOSITORY_NAME_MAX) {
      problems.push({
        property,
        value: name,
        reason: `makes the repository name '${full}' ${full.length} characters, outside ECR's ${ECR_REPOSITORY_NAME_MIN} to ${ECR_REPOSITORY_NAME_MAX}`,
        fix: 'choose a shorter name',
      });
    }
    if (name === reserved) {
      problems.push({
        property,
        value: name,
        reason: `'${reserved}' is the image-assets repository, which imageAssets already creates`,
        fix: `drop '${reserved}' from repositoryNames (keep imageAssets: true), or choose another name`,
      });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({ property, value: name, reason: `duplicate of repositoryNames[${first}]`, fix: 'list each repository once' });
    } else {
      seen.set(name, index);
    }
  });
  return problems;
}
