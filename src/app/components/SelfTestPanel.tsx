import { useStore } from '../state/store';
import type { SelfTestRun } from '../state/gpu';

export function SelfTestPanel() {
  const ready = useStore((s) => s.gpuStatus === 'ready');
  const pageTest = useStore((s) => s.pageTest);
  const workerTest = useStore((s) => s.workerTest);
  const runSelfTests = useStore((s) => s.runSelfTests);
  const running = pageTest.status === 'running' || workerTest.status === 'running';

  return (
    <section className="panel" aria-labelledby="selftest-title">
      <h2 id="selftest-title">Self-test</h2>
      <p className="muted">
        Runs matrix products in the three layouts training needs, and the importance reduction, on your GPU, and checks each
        against a CPU reference — once on this page and once in a Web Worker, where training runs.
      </p>
      <button className="primary" disabled={!ready || running} onClick={() => void runSelfTests()} data-testid="run-self-test">
        {running ? 'Running…' : 'Run self-test'}
      </button>
      <TestResult title="On this page" run={pageTest} id="page" />
      <TestResult title="In a Web Worker" run={workerTest} id="worker" />
    </section>
  );
}

function TestResult({ title, run, id }: { title: string; run: SelfTestRun; id: string }) {
  if (run.status === 'idle') return null;
  return (
    <div className={`result ${run.status}`} data-testid={`self-test-${id}`} data-status={run.status}>
      <h3>
        {title}: {run.status === 'running' ? 'running…' : run.status}
        {run.result && <span className="muted"> ({run.result.milliseconds.toFixed(0)} ms)</span>}
      </h3>
      {run.error && <p className="notice error">{run.error}</p>}
      {run.result && (
        <table className="checks">
          <thead>
            <tr>
              <th>check</th>
              <th>max |GPU − CPU|</th>
              <th>tolerance</th>
            </tr>
          </thead>
          <tbody>
            {run.result.checks.map((c) => (
              <tr key={c.name} className={c.passed ? 'ok' : 'bad'}>
                <td>{c.name}</td>
                <td>{c.maxAbsError.toExponential(2)}</td>
                <td>{c.tolerance.toExponential(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
