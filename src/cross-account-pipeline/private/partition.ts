import { Aws, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * The partition of a region, as a literal string when aws-cdk-lib's RegionInfo
 * knows the region (every ISO partition included), so that the per-target ARNs
 * of a pipeline stay plain strings: thousands of them, and a Fn::Join of the
 * partition would triple their size.
 *
 * A token, or a region newer than the installed aws-cdk-lib, gets
 * `Aws.PARTITION`: larger templates, but right wherever the stack deploys,
 * where guessing from the region's prefix would be wrong for the next partition.
 */
export function partitionOf(region: string): string {
  if (Token.isUnresolved(region)) return Aws.PARTITION;
  return RegionInfo.get(region).partition ?? Aws.PARTITION;
}
