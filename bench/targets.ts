/**
 * The deployment both variants express: a tooling account, and N target
 * accounts (distinct 12-digit ids) in alternating regions, the first in Dev
 * and the rest in Prod.
 */

/** Where the pipelines live. */
export const TOOLING = { account: '111111111111', region: 'us-east-1' } as const;

/** The organization of the targets, in organization mode. */
export const ORGANIZATION_ID = 'o-abcdefghij';

/** A CodeStar connection to the (imaginary) repository. */
export const SOURCE = {
  connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  repository: 'acme/shop',
  branch: 'main',
} as const;

/** The build both variants run. */
export const BUILD_COMMANDS = ['npm ci', 'npm test', 'npx cdk synth'];

const REGIONS = ['us-east-1', 'eu-west-1'];

/** One target account and region. */
export interface BenchTarget {
  /** Unique, usable as a CodePipeline action name and a construct id. */
  readonly id: string;
  readonly account: string;
  readonly region: string;
}

/** The targets of one run, split into the Dev and Prod stages. */
export interface BenchStages {
  readonly dev: BenchTarget[];
  readonly prod: BenchTarget[];
  readonly all: BenchTarget[];
}

/** N targets: 200000000000, 200000000001, ... alternating us-east-1 and eu-west-1. */
export function makeTargets(count: number): BenchStages {
  const all = Array.from({ length: count }, (_, i) => ({
    id: `Tenant${String(i).padStart(5, '0')}`,
    account: String(200_000_000_000 + i),
    region: REGIONS[i % REGIONS.length],
  }));
  return { dev: all.slice(0, 1), prod: all.slice(1), all };
}
