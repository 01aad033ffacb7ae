// Jest reporter that writes one plain line: "jest: N passed, N failed[, N skipped]", to stdout
// and to jest-summary.txt (which .ci/run prints last). Suites that could not run at all (syntax
// errors, failing imports) count as failed.
import { writeFileSync } from 'node:fs';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.stdout.write(line);
    writeFileSync('jest-summary.txt', line);
  }
}
