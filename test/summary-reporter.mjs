// Jest reporter that ends the run with one plain line: "jest: N passed, N failed[, N skipped]".
// Suites that could not run at all (syntax errors, failing imports) count as failed.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    // Printed when the process ends, after jest's own summary, so that it is the closing line.
    process.once('exit', () => process.stdout.write(line));
  }
}
