// Judges a Checkov JSON report against the committed skip list (test/checkov-skips.txt).
//
//   node scripts/checkov-gate.mjs <skip list> <checkov report.json> [<root to print paths from>]
//
// Exit 0: every failed check is accepted by a skip entry, and every entry (and every
// resource pattern in it) still accepts at least one finding.
// Exit 1: a finding no entry accepts (printed with check id, resource and file), a stale
// entry or pattern, or a template Checkov could not parse.
// Exit 2: the skip list itself is malformed (a line without resources or reason, a duplicate
// id); the report is not judged.
//
// Skip list format, one check id per entry:
//
//   # comment
//   CKV_AWS_18  [*AccessLogs*]  Why this check does not apply to those resources.
//   CKV_AWS_117 [SingletonFunction*, Custom*Handler*]  The reason, which may go on
//       on indented continuation lines.
//
// The bracket lists the resources the skip applies to, as logical-id patterns where `*`
// matches any run of characters (`[*]` for every resource, on purpose). A finding is
// accepted when its check id has an entry and its logical id matches one of the patterns.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ENTRY = /^(\S+)\s+\[([^\]]*)\]\s*(.*)$/;
const CHECK_ID = /^CKV2?_[A-Z0-9]+_\d+$/;

/** Parses the skip list: { entries: [{ id, patterns, reason, line }], errors: [string] }. */
export function parseSkipList(text, file = 'skip list') {
  const entries = [];
  const errors = [];
  let last;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const where = `${file}:${line}`;
    if (raw.trim() === '' || raw.trim().startsWith('#')) {
      last = undefined;
      return;
    }
    if (/^\s/.test(raw)) {
      if (!last) errors.push(`${where}: indented line continues no entry: '${raw.trim()}'`);
      else last.reason = `${last.reason} ${raw.trim()}`.trim();
      return;
    }
    const match = ENTRY.exec(raw.trim());
    if (!match) {
      errors.push(`${where}: expected '<check id> [<logical-id pattern>, ...] <reason>', got '${raw.trim()}'`);
      last = undefined;
      return;
    }
    const [, id, list, reason] = match;
    const patterns = list.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (!CHECK_ID.test(id)) errors.push(`${where}: '${id}' is not a Checkov check id (CKV_AWS_123, CKV2_AWS_12)`);
    if (patterns.length === 0) errors.push(`${where}: ${id} names no resource: list the logical ids it applies to, or [*] for all`);
    last = { id, patterns, reason: reason.trim(), line };
    entries.push(last);
  });
  const seen = new Map();
  for (const entry of entries) {
    if (entry.reason === '') errors.push(`${file}:${entry.line}: ${entry.id} has no reason: say why the check does not apply to ${entry.patterns.join(', ')}`);
    if (seen.has(entry.id)) errors.push(`${file}:${entry.line}: ${entry.id} is listed twice (first on line ${seen.get(entry.id)}): one entry per check id`);
    else seen.set(entry.id, entry.line);
  }
  return { entries, errors };
}

function globToRegExp(pattern) {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** The failed checks and summaries of a Checkov JSON report (one object, or a list of them, one per framework). */
export function readReport(report) {
  const runs = Array.isArray(report) ? report : [report];
  const failed = [];
  let passed = 0;
  let parsingErrors = 0;
  let resources = 0;
  for (const run of runs) {
    failed.push(...(run.results?.failed_checks ?? []));
    passed += run.summary?.passed ?? 0;
    parsingErrors += run.summary?.parsing_errors ?? 0;
    resources += run.summary?.resource_count ?? 0;
  }
  return { failed, passed, parsingErrors, resources };
}

/** Splits checkov's 'AWS::S3::Bucket.Logs1234' into type and logical id. */
function logicalIdOf(resource) {
  const dot = resource.lastIndexOf('.');
  return dot < 0 ? resource : resource.slice(dot + 1);
}

/** Judges the findings: { accepted, unexpected, stale: [{ line, message }] }. */
export function judge(entries, failed) {
  const compiled = entries.map((entry) => ({ entry, patterns: entry.patterns.map((p) => ({ p, re: globToRegExp(p), used: false })) }));
  const accepted = [];
  const unexpected = [];
  for (const finding of failed) {
    const logicalId = logicalIdOf(finding.resource);
    const skip = compiled.find((c) => c.entry.id === finding.check_id);
    const pattern = skip?.patterns.find((p) => p.re.test(logicalId));
    if (pattern) {
      pattern.used = true;
      accepted.push(finding);
    } else {
      unexpected.push({ ...finding, skippedOnlyFor: skip?.entry.patterns });
    }
  }
  const stale = [];
  for (const { entry, patterns } of compiled) {
    const unused = patterns.filter((p) => !p.used).map((p) => p.p);
    if (unused.length === patterns.length) stale.push({ line: entry.line, message: `${entry.id} no longer fails on any resource: remove the entry` });
    else if (unused.length > 0) stale.push({ line: entry.line, message: `${entry.id} no longer fails on ${unused.join(', ')}: remove ${unused.length === 1 ? 'that pattern' : 'those patterns'}` });
  }
  return { accepted, unexpected, stale };
}

function main([skipFile, reportFile, root = process.cwd()]) {
  if (!skipFile || !reportFile) {
    console.error('usage: node scripts/checkov-gate.mjs <skip list> <checkov report.json> [<root>]');
    return 2;
  }
  const { entries, errors } = parseSkipList(fs.readFileSync(skipFile, 'utf8'), skipFile);
  if (errors.length > 0) {
    console.error(`checkov: ${skipFile} is malformed; every entry needs its check id, the resources it applies to, and a reason:\n  ${errors.join('\n  ')}`);
    return 2;
  }
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  } catch (error) {
    console.error(`checkov: the report ${reportFile} is not Checkov's JSON (${error.message})`);
    return 1;
  }
  const { failed, passed, parsingErrors, resources } = readReport(parsed);
  const { accepted, unexpected, stale } = judge(entries, failed);
  let status = 0;
  if (parsingErrors > 0) {
    console.error(`checkov: ${parsingErrors} template(s) could not be parsed, so they were not checked`);
    status = 1;
  }
  if (resources === 0) {
    console.error('checkov: the report checked no resource');
    status = 1;
  }
  if (unexpected.length > 0) {
    console.error(`checkov: ${unexpected.length} finding(s) not accepted by ${skipFile} (fix them, or add a reasoned entry naming the resource):`);
    for (const f of unexpected) {
      const file = path.relative(root, path.resolve(root, f.file_abs_path ?? f.file_path.replace(/^\//, '')));
      const line = Array.isArray(f.file_line_range) ? `:${f.file_line_range[0]}` : '';
      const scope = f.skippedOnlyFor ? ` (skipped only for ${f.skippedOnlyFor.join(', ')})` : '';
      console.error(`  ${f.check_id}  ${f.resource}  ${file}${line}  ${f.check_name}${scope}`);
    }
    status = 1;
  }
  if (stale.length > 0) {
    console.error(`checkov: stale entries in ${skipFile} (a skip must still be needed):\n  ${stale.map((st) => `${skipFile}:${st.line}: ${st.message}`).join('\n  ')}`);
    status = 1;
  }
  if (status === 0) {
    console.log(`checkov: ${resources} resources, ${passed} checks passed, ${accepted.length} failed and accepted by ${skipFile} (${entries.length} entries), 0 unexpected`);
  }
  return status;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main(process.argv.slice(2)));
}
