// Prints one plain "N passed, N failed" line at the end of a run, which CI reads.
function count(results, acc) {
  if (!results) return;
  for (const t of results.tests ?? []) {
    if (t.skipped) acc.skipped++;
    else if (t.passed) acc.passed++;
    else acc.failed++;
  }
  for (const s of results.suites ?? []) count(s, acc);
}

export function summaryReporter() {
  return {
    onTestRunFinished({ sessions }) {
      const acc = { passed: 0, failed: 0, skipped: 0 };
      let broken = 0;
      for (const s of sessions) {
        count(s.testResults, acc);
        if (!s.passed && (s.errors?.length ?? 0) > 0) broken++;
      }
      acc.failed += broken;
      process.stdout.write(`\n${acc.passed} passed, ${acc.failed} failed, ${acc.skipped} skipped\n`);
    },
  };
}
