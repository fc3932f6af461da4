import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// scripts/checkov.sh runs Checkov over the integ templates and hands its JSON report to
// scripts/checkov-gate.mjs, which these specifications run on made-up reports: the gate,
// not Checkov, decides what fails, and the skip list has to stay honest.

const ROOT = path.resolve(__dirname, '..');
const GATE = path.join(ROOT, 'scripts', 'checkov-gate.mjs');
const SKIPS = path.join(ROOT, 'test', 'checkov-skips.txt');

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkov-gate-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Finding { readonly id: string; readonly resource: string; readonly file?: string }

/** A Checkov JSON report (the shape of `checkov -o json` for one framework). */
function report(failed: Finding[], summary: { parsing_errors?: number; resource_count?: number } = {}) {
  return {
    check_type: 'cloudformation',
    results: {
      failed_checks: failed.map((f) => ({
        check_id: f.id,
        check_name: `name of ${f.id}`,
        resource: f.resource,
        file_path: `/${f.file ?? 'integ/a.snapshot/A.template.json'}`,
        file_abs_path: f.file ?? 'integ/a.snapshot/A.template.json',
        file_line_range: [12, 20],
      })),
    },
    summary: { passed: 5, failed: failed.length, skipped: 0, parsing_errors: 0, resource_count: 7, checkov_version: '3.3.30', ...summary },
  };
}

let n = 0;
function gate(skips: string, checkovReport: unknown): { status: number | null; out: string } {
  n += 1;
  const skipFile = path.join(dir, `skips-${n}.txt`);
  const reportFile = path.join(dir, `report-${n}.json`);
  fs.writeFileSync(skipFile, skips);
  fs.writeFileSync(reportFile, JSON.stringify(checkovReport));
  const run = spawnSync(process.execPath, [GATE, skipFile, reportFile, ROOT], { encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

const LOGS = 'AWS::S3::Bucket.StoreAccessLogs087BBF22';
const FN = 'AWS::Lambda::Function.CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F';

describe('the Checkov gate accepts only reasoned, scoped, still-needed skips', () => {
  test('every finding accepted by an entry naming its resource: passes and says how many', () => {
    const { status, out } = gate(
      '# comment\nCKV_AWS_18  [*AccessLogs*]  Log buckets do not log into themselves.\n\nCKV_AWS_117 [Custom*Handler*, Other*]\n    CDK handlers call AWS APIs only.\n',
      report([{ id: 'CKV_AWS_18', resource: LOGS }, { id: 'CKV_AWS_117', resource: FN }, { id: 'CKV_AWS_117', resource: 'AWS::Lambda::Function.Other1' }]),
    );
    expect(out).toMatch(/checkov: 7 resources, 5 checks passed, 3 failed and accepted by .*skips-\d+\.txt \(2 entries\), 0 unexpected/);
    expect(status).toBe(0);
  });

  test('a finding of a check with no entry fails, printing the check id, the resource and the file', () => {
    const { status, out } = gate('CKV_AWS_18 [*AccessLogs*] Log buckets.\n', report([
      { id: 'CKV_AWS_18', resource: LOGS },
      { id: 'CKV_AWS_2', resource: 'AWS::ElasticLoadBalancingV2::Listener.Http1', file: 'integ/b.snapshot/B.template.json' },
    ]));
    expect(status).toBe(1);
    expect(out).toContain('1 finding(s) not accepted');
    expect(out).toContain('CKV_AWS_2  AWS::ElasticLoadBalancingV2::Listener.Http1  integ/b.snapshot/B.template.json:12  name of CKV_AWS_2');
  });

  test('a finding of a skipped check on a resource the entry does not name fails', () => {
    const { status, out } = gate('CKV_AWS_18 [*AccessLogs*] Log buckets.\n', report([
      { id: 'CKV_AWS_18', resource: LOGS },
      { id: 'CKV_AWS_18', resource: 'AWS::S3::Bucket.Artifacts1' },
    ]));
    expect(status).toBe(1);
    expect(out).toContain('CKV_AWS_18  AWS::S3::Bucket.Artifacts1');
    expect(out).toContain('(skipped only for *AccessLogs*)');
  });

  test('patterns match the whole logical id, `*` being the only wildcard', () => {
    const { status, out } = gate('CKV_AWS_18 [Store.Logs*] Log buckets.\n', report([{ id: 'CKV_AWS_18', resource: 'AWS::S3::Bucket.StoreXLogs1' }]));
    expect(status).toBe(1);
    expect(out).toContain('CKV_AWS_18  AWS::S3::Bucket.StoreXLogs1');
  });

  test.each([
    ['an entry without a reason', 'CKV_AWS_18 [*AccessLogs*]\n', /:1: CKV_AWS_18 has no reason/],
    ['an entry without resources', 'CKV_AWS_18 Log buckets do not log into themselves.\n', /:1: expected '<check id> \[<logical-id pattern>, \.\.\.\] <reason>'/],
    ['an entry with an empty resource list', 'CKV_AWS_18 [ ] Log buckets.\n', /:1: CKV_AWS_18 names no resource/],
    ['a duplicate check id', 'CKV_AWS_18 [*AccessLogs*] Log buckets.\nCKV_AWS_18 [Other*] Again.\n', /:2: CKV_AWS_18 is listed twice \(first on line 1\)/],
    ['something that is not a check id', 'AwsSolutions-S1 [*AccessLogs*] Log buckets.\n', /'AwsSolutions-S1' is not a Checkov check id/],
    ['a continuation line before any entry', '    stray reason\n', /:1: indented line continues no entry/],
  ])('%s is refused before the report is read (exit 2)', (_name, skips, message) => {
    const { status, out } = gate(skips, report([{ id: 'CKV_AWS_18', resource: LOGS }]));
    expect(status).toBe(2);
    expect(out).toContain('is malformed');
    expect(out).toMatch(message);
  });

  test('an entry that no longer matches any finding is stale and fails', () => {
    const { status, out } = gate('CKV_AWS_18 [*AccessLogs*] Log buckets.\nCKV_AWS_27 [*Queue*] SSE-SQS.\n', report([{ id: 'CKV_AWS_18', resource: LOGS }]));
    expect(status).toBe(1);
    expect(out).toContain(':2: CKV_AWS_27 no longer fails on any resource: remove the entry');
  });

  test('a pattern that no longer matches any finding is stale and fails', () => {
    const { status, out } = gate('CKV_AWS_18 [*AccessLogs*, Gone*] Log buckets.\n', report([{ id: 'CKV_AWS_18', resource: LOGS }]));
    expect(status).toBe(1);
    expect(out).toContain(':1: CKV_AWS_18 no longer fails on Gone*: remove that pattern');
  });

  test('a template Checkov could not parse fails, even with no finding', () => {
    const { status, out } = gate('', report([], { parsing_errors: 1 }));
    expect(status).toBe(1);
    expect(out).toContain('1 template(s) could not be parsed');
  });

  test('a report that checked no resource fails', () => {
    const { status, out } = gate('', report([], { resource_count: 0 }));
    expect(status).toBe(1);
    expect(out).toContain('checked no resource');
  });

  test('a report of several frameworks (a list) is read whole', () => {
    const { status } = gate('CKV_AWS_18 [*AccessLogs*] Log buckets.\n', [report([{ id: 'CKV_AWS_18', resource: LOGS }]), report([])]);
    expect(status).toBe(0);
  });
});

describe('the committed skip list', () => {
  // Whether each entry is still needed is checked by scripts/checkov.sh against the real report.
  test('is well formed: every entry names its resources and gives a reason', () => {
    const { status, out } = gate(fs.readFileSync(SKIPS, 'utf8'), report([]));
    expect(out).not.toContain('is malformed');
    expect(status).toBe(1); // stale against an empty report, which proves it was read
  });
});
