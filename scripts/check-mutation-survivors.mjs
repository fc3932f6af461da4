// After `stryker run`: every mutant that survived (or that no test reaches) must be
// listed in stryker.config.mjs as equivalent, with its reason, and every listed
// mutant must still survive (a listed mutant that is now killed is a stale entry).
// Reads the incremental results Stryker just wrote; exits 1 with a list otherwise.
// Then drops the failure messages from that file (stack traces through a random
// sandbox path, three quarters of its size): reusing a result needs none of them.
import fs from 'node:fs';
import config, { equivalentMutants } from '../stryker.config.mjs';

const report = JSON.parse(fs.readFileSync(config.incrementalFile, 'utf8'));
const matches = (entry, file, mutant) => entry.file === file
  && entry.line === mutant.location.start.line
  && entry.mutator === mutant.mutatorName
  && (entry.replacement === undefined || entry.replacement === mutant.replacement);

const unexplained = [];
const used = new Set();
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const mutant of mutants) {
    if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
    const entry = equivalentMutants.find((e) => matches(e, file, mutant));
    if (entry) used.add(entry);
    else unexplained.push(`${file}:${mutant.location.start.line}:${mutant.location.start.column + 1} ${mutant.mutatorName} ${mutant.status}: ${JSON.stringify(mutant.replacement)}`);
  }
}
const stale = equivalentMutants.filter((e) => !used.has(e)).map((e) => `${e.file}:${e.line} ${e.mutator} ${JSON.stringify(e.replacement)}`);

if (unexplained.length > 0) {
  console.error(`${unexplained.length} surviving mutant(s) neither killed nor listed as equivalent in stryker.config.mjs:\n  ${unexplained.join('\n  ')}`);
}
if (stale.length > 0) {
  console.error(`${stale.length} mutant(s) listed as equivalent in stryker.config.mjs no longer survive; remove them:\n  ${stale.join('\n  ')}`);
}
for (const { mutants } of Object.values(report.files)) {
  for (const mutant of mutants) delete mutant.statusReason;
}
fs.writeFileSync(config.incrementalFile, JSON.stringify(report));

if (unexplained.length > 0 || stale.length > 0) process.exit(1);
console.log(`Every surviving mutant is a listed equivalent (${used.size} listed).`);
