import { useEffect } from 'react';
import { useStore } from './store';
import { GpuPanel } from './GpuPanel';
import { SelfTestPanel } from './SelfTestPanel';

export function App() {
  const detectGpu = useStore((s) => s.detectGpu);
  useEffect(() => {
    void detectGpu();
  }, [detectGpu]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>GoRA Studio</h1>
        <p className="tagline">Fine-tune small language models on your own GPU, in the browser, with gradient-driven adaptive LoRA.</p>
      </header>
      <main className="panels">
        <GpuPanel />
        <SelfTestPanel />
      </main>
    </div>
  );
}
