/**
 * How many sequential rounds it takes to handle `items` things `perRound` at a
 * time: CodePipeline waves of a stage, Distributed Map rounds of a ring. One
 * function so the pipeline plan and the fleet plan can never count differently.
 * Pure arithmetic; no imports.
 */
export function roundsFor(items: number, perRound: number): number {
  if (!Number.isInteger(items) || items < 0) {
    throw new Error(`roundsFor: items must be a whole number of at least 0, got ${items}`);
  }
  if (!Number.isInteger(perRound) || perRound < 1) {
    throw new Error(`roundsFor: perRound must be a whole number of at least 1, got ${perRound}`);
  }
  return items === 0 ? 0 : Math.ceil(items / perRound);
}
