export * from './shared/deployment-contract';
export * from './artifact-store/artifact-store';
export * from './tenant-deployment-role/tenant-deployment-role';
export type { GitHubOidcTrust } from './tenant-deployment-role/github-oidc-trust';
export * from './tenant-deployment-role/tenant-deployment-role-stack-set';
export * from './cross-account-pipeline/cross-account-pipeline';
export * from './cross-account-pipeline/deployment-kind';
export * from './cross-account-pipeline/pipeline-source';
