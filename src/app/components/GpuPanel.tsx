import { useState } from 'react';
import { useStore } from '../state/store';
import { formatBytes } from './format';

const KEY_LIMITS: Array<[string, string, boolean]> = [
  ['maxStorageBufferBindingSize', 'Largest storage binding', true],
  ['maxBufferSize', 'Largest buffer', true],
  ['maxStorageBuffersPerShaderStage', 'Storage buffers per kernel', false],
  ['maxComputeWorkgroupStorageSize', 'Workgroup memory', true],
  ['maxComputeInvocationsPerWorkgroup', 'Invocations per workgroup', false],
  ['maxComputeWorkgroupsPerDimension', 'Workgroups per dimension', false],
];

export function GpuPanel() {
  const status = useStore((s) => s.gpuStatus);
  const info = useStore((s) => s.gpuInfo);
  const error = useStore((s) => s.gpuError);
  const lost = useStore((s) => s.deviceLost);
  const detectGpu = useStore((s) => s.detectGpu);
  const [showAll, setShowAll] = useState(false);

  return (
    <section className="panel" aria-labelledby="gpu-title">
      <h2 id="gpu-title">Your GPU</h2>
      {status === 'detecting' && <p className="muted">Looking for a WebGPU adapter…</p>}
      {lost && (
        <div className="notice error" role="alert" data-testid="device-lost">
          The GPU device was lost ({lost.reason}): {lost.message}
          <button onClick={() => void detectGpu()}>Reconnect</button>
        </div>
      )}
      {status === 'unavailable' && error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      {info && status === 'ready' && (
        <div data-testid="gpu-info">
          <p className="adapter-name">
            {info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'Unnamed adapter'}
            {info.isFallbackAdapter && <span className="badge warn" title="A software renderer: correct but slow">software</span>}
          </p>
          <ul className="chips" aria-label="features">
            <Feature name="shader-f16" on={info.features.shaderF16} />
            <Feature name="timestamp-query" on={info.features.timestampQuery} />
            <Feature name="subgroups" on={info.features.subgroups} />
          </ul>
          <table className="limits">
            <tbody>
              {KEY_LIMITS.map(([key, label, bytes]) => (
                <tr key={key}>
                  <th scope="row">{label}</th>
                  <td>{bytes ? formatBytes(info.limits[key] ?? 0) : (info.limits[key] ?? 0).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button className="link" onClick={() => setShowAll(!showAll)} aria-expanded={showAll}>
            {showAll ? 'Hide' : 'Show'} all {Object.keys(info.limits).length} limits
          </button>
          {showAll && (
            <table className="limits all-limits">
              <tbody>
                {Object.entries(info.limits).map(([key, value]) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    <td>{value.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function Feature({ name, on }: { name: string; on: boolean }) {
  return (
    <li className={on ? 'chip on' : 'chip off'} data-feature={name} data-available={on}>
      {on ? '✓' : '✗'} {name}
    </li>
  );
}
