import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
// The benchmark page (bench/core/ with TensorFlow.js) is its own chunk, loaded only at /bench or ?bench.
if (location.pathname.replace(/\/$/, '').endsWith('/bench') || new URLSearchParams(location.search).has('bench')) {
  void import('./bench/BenchPage').then(({ BenchPage }) =>
    root.render(
      <StrictMode>
        <BenchPage />
      </StrictMode>,
    ),
  );
} else {
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
