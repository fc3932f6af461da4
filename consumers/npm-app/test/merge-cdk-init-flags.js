// Gives the app the feature flags a new app from today's `cdk init` has: merges the
// `context` of the cdk.json `cdk init` wrote into the app's cdk.json (the app's own
// context, the availability zones, wins). Plain Node (no dependencies):
//   node test/merge-cdk-init-flags.js <cdk init's cdk.json> <the app's cdk.json>
'use strict';
const fs = require('fs');

const [initFile, appFile] = process.argv.slice(2);
if (!initFile || !appFile) {
  console.error('usage: node merge-cdk-init-flags.js <cdk init cdk.json> <app cdk.json>');
  process.exit(64);
}
const flags = JSON.parse(fs.readFileSync(initFile, 'utf8')).context || {};
if (Object.keys(flags).length === 0) {
  console.error(`npm: cdk init wrote no feature flags into ${initFile}`);
  process.exit(1);
}
const app = JSON.parse(fs.readFileSync(appFile, 'utf8'));
app.context = { ...flags, ...app.context };
fs.writeFileSync(appFile, JSON.stringify(app, null, 2) + '\n');

const watched = ['@aws-cdk/core:validateAgainstDefaultRules', '@aws-cdk/core:enablePartitionLiterals'];
const on = watched.filter((flag) => flags[flag] === true);
console.log(`npm: ${Object.keys(flags).length} feature flags from cdk init merged into cdk.json`
  + ` (${on.length ? `on among them: ${on.join(', ')}` : `none of ${watched.join(', ')}`})`);
