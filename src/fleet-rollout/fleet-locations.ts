/**
 * Where the fleet keeps its data, named once for the constructs, the state
 * machine definitions and the planner (pure: the planner's bundle imports it).
 */

/** Registry items of the engine start with this; no tenant id can (`#lock`, `#release`). */
export const ENGINE_ITEM_PREFIX = '#';
/** The registry item that makes one rollout per registry run at a time. */
export const LOCK_ITEM_ID = `${ENGINE_ITEM_PREFIX}lock`;
/** The registry item holding the last release that finished every ring: what onboarding deploys. */
export const RELEASE_ITEM_ID = `${ENGINE_ITEM_PREFIX}release`;

/** Where the planner writes each ring's tenant work items in the work bucket (the Distributed Map's ItemReader). */
export const RING_FILES_PREFIX = 'rollouts/';
/** Where the Distributed Maps write their results in the work bucket (ResultWriter). */
export const MAP_RESULTS_PREFIX = 'results/';

/** The ring file of one ring of one rollout execution. */
export function ringFileKey(executionName: string, ring: string): string {
  return `${RING_FILES_PREFIX}${executionName}/${ring}.json`;
}

/** The namespace of the per-ring tenant metrics the rollout reports. */
export const FLEET_METRIC_NAMESPACE = 'CdkCrossAccountCicd/Fleet';
