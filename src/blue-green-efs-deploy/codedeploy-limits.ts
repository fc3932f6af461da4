// CodeDeploy's limits the blue/green pieces check against. No imports: the
// Lambda bundles read these too.

/** CodeDeploy keeps the original fleet (and waits for a ready signal) at most this long: two days. */
export const MAX_BLUE_GREEN_WAIT_MINUTES = 2880;

/** CodeDeploy runs one lifecycle hook script for at most an hour. */
export const MAX_HOOK_TIMEOUT_SECONDS = 3600;
